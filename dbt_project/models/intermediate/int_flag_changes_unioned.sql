with

stg_jira__flag_changes as (

    select * from {{ ref('stg_jira__flag_changes') }}

),

stg_github__flag_changes as (

    select * from {{ ref('stg_github__flag_changes') }}

),

stg_gitlab__flag_changes as (

    select * from {{ ref('stg_gitlab__flag_changes') }}

),

jira_flag_changes as (

    select
        source,
        issue_id as item_id,
        change_id,
        history_sequence as change_sequence,
        changed_at,
        is_flagged_before,
        is_flagged_after
    from stg_jira__flag_changes

),

github_flag_changes as (

    select
        source,
        item_id,
        change_id,
        change_sequence,
        changed_at,
        is_flagged_before,
        is_flagged_after
    from stg_github__flag_changes

),

gitlab_flag_changes as (

    select
        source,
        item_id,
        change_id,
        change_sequence,
        changed_at,
        is_flagged_before,
        is_flagged_after
    from stg_gitlab__flag_changes

),

final as (

    select * from jira_flag_changes

    union all

    select * from github_flag_changes

    union all

    select * from gitlab_flag_changes

)

select * from final
