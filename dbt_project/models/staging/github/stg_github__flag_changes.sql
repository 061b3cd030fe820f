with

events as (

    select * from {{ ref('stg_github__events') }}

),

{{ git_label_flag_changes(var('github_blocked_labels', ['blocked'])) }}

select * from final
