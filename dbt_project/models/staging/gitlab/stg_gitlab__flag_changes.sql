with

events as (

    select * from {{ ref('stg_gitlab__events') }}

),

{{ git_label_flag_changes(var('gitlab_blocked_labels', ['blocked'])) }}

select * from final
