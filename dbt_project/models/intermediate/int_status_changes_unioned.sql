with

stg_jira__status_changes as (

    select * from {{ ref('stg_jira__status_changes') }}

),

stg_jira__statuses as (

    select * from {{ ref('stg_jira__statuses') }}

),

stg_github__status_changes as (

    select * from {{ ref('stg_github__status_changes') }}

),

stg_gitlab__status_changes as (

    select * from {{ ref('stg_gitlab__status_changes') }}

),

jira_status_changes as (

    select
        stg_jira__status_changes.source,
        stg_jira__status_changes.issue_id as item_id,
        stg_jira__status_changes.change_id,
        stg_jira__status_changes.history_sequence as change_sequence,
        stg_jira__status_changes.changed_at,
        from_statuses.status_category_key as from_tool_state_category,
        to_statuses.status_category_key as to_tool_state_category,
        coalesce(from_statuses.status_name, stg_jira__status_changes.from_status_name) as from_tool_state,
        coalesce(to_statuses.status_name, stg_jira__status_changes.to_status_name) as to_tool_state
    from stg_jira__status_changes
    left join stg_jira__statuses as from_statuses
        on stg_jira__status_changes.from_status_id = from_statuses.status_id
    left join stg_jira__statuses as to_statuses
        on stg_jira__status_changes.to_status_id = to_statuses.status_id

),

github_status_changes as (

    select
        source,
        item_id,
        change_id,
        change_sequence,
        changed_at,
        from_tool_state_category,
        to_tool_state_category,
        from_tool_state,
        to_tool_state
    from stg_github__status_changes

),

gitlab_status_changes as (

    select
        source,
        item_id,
        change_id,
        change_sequence,
        changed_at,
        from_tool_state_category,
        to_tool_state_category,
        from_tool_state,
        to_tool_state
    from stg_gitlab__status_changes

),

final as (

    select * from jira_status_changes

    union all

    select * from github_status_changes

    union all

    select * from gitlab_status_changes

)

select * from final
