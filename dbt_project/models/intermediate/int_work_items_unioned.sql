with

stg_jira__issues as (

    select * from {{ ref('stg_jira__issues') }}

),

stg_jira__issue_types as (

    select * from {{ ref('stg_jira__issue_types') }}

),

stg_jira__statuses as (

    select * from {{ ref('stg_jira__statuses') }}

),

stg_github__items as (

    select * from {{ ref('stg_github__items') }}

),

stg_github__status_changes as (

    select * from {{ ref('stg_github__status_changes') }}

),

stg_gitlab__items as (

    select * from {{ ref('stg_gitlab__items') }}

),

stg_gitlab__status_changes as (

    select * from {{ ref('stg_gitlab__status_changes') }}

),

-- The current status by id from the catalog, as the status changes take theirs: an issue's own row keeps a
-- status's old name until the issue is read again, and renaming a status does not touch its issues.
jira_issues_with_catalog_names as (

    select
        stg_jira__issues.*,
        stg_jira__issue_types.issue_type_name as untranslated_issue_type_name,
        coalesce(stg_jira__statuses.status_name, stg_jira__issues.status_name) as catalog_status_name,
        coalesce(stg_jira__statuses.status_category_key, stg_jira__issues.status_category_key)
            as catalog_status_category_key
    from stg_jira__issues
    left join stg_jira__issue_types
        on stg_jira__issues.issue_type_id = stg_jira__issue_types.issue_type_id
    left join stg_jira__statuses
        on stg_jira__issues.status_id = stg_jira__statuses.status_id

),

jira_work_items as (

    select
        source,
        issue_id as item_id,
        issue_key as item_key,
        issue_url as item_url,
        project_key,
        -- The flow model matches types on the untranslated name (Cloud's catalog gives it); the issue's own
        -- type name is in the API user's language.
        coalesce(untranslated_issue_type_name, issue_type_name) as item_type,
        labels,
        components,
        parent_key,
        created_at,
        updated_at,
        catalog_status_name as current_tool_state,
        catalog_status_category_key as current_tool_state_category,
        resolution_name as resolution,
        is_flagged as is_flagged_now,
        history_reported_count,
        history_loaded_count
    from jira_issues_with_catalog_names

),

github_work_items as (

    select
        stg_github__items.source,
        stg_github__items.item_id,
        stg_github__items.item_key,
        stg_github__items.item_url,
        stg_github__items.repository as project_key,
        stg_github__items.item_type,
        stg_github__items.labels,
        cast(null as {{ dbt.type_string() }}) as components,
        cast(null as {{ dbt.type_string() }}) as parent_key,
        stg_github__items.created_at,
        stg_github__items.updated_at,
        coalesce(stg_github__status_changes.to_tool_state, stg_github__items.initial_tool_state)
            as current_tool_state,
        {{ git_tool_state_category(
            'coalesce(stg_github__status_changes.to_tool_state, stg_github__items.initial_tool_state)'
        ) }} as current_tool_state_category,
        cast(null as {{ dbt.type_string() }}) as resolution,
        stg_github__items.is_blocked as is_flagged_now,
        stg_github__items.events_loaded_count as history_reported_count,
        stg_github__items.events_loaded_count as history_loaded_count
    from stg_github__items
    left join stg_github__status_changes
        on
            stg_github__items.item_id = stg_github__status_changes.item_id
            and stg_github__status_changes.is_latest_change

),

gitlab_work_items as (

    select
        stg_gitlab__items.source,
        stg_gitlab__items.item_id,
        stg_gitlab__items.item_key,
        stg_gitlab__items.item_url,
        stg_gitlab__items.project_path as project_key,
        stg_gitlab__items.item_type,
        stg_gitlab__items.labels,
        cast(null as {{ dbt.type_string() }}) as components,
        cast(null as {{ dbt.type_string() }}) as parent_key,
        stg_gitlab__items.created_at,
        stg_gitlab__items.updated_at,
        coalesce(stg_gitlab__status_changes.to_tool_state, stg_gitlab__items.initial_tool_state)
            as current_tool_state,
        {{ git_tool_state_category(
            'coalesce(stg_gitlab__status_changes.to_tool_state, stg_gitlab__items.initial_tool_state)'
        ) }} as current_tool_state_category,
        cast(null as {{ dbt.type_string() }}) as resolution,
        stg_gitlab__items.is_blocked as is_flagged_now,
        stg_gitlab__items.events_loaded_count as history_reported_count,
        stg_gitlab__items.events_loaded_count as history_loaded_count
    from stg_gitlab__items
    left join stg_gitlab__status_changes
        on
            stg_gitlab__items.item_id = stg_gitlab__status_changes.item_id
            and stg_gitlab__status_changes.is_latest_change

),

final as (

    select * from jira_work_items

    union all

    select * from github_work_items

    union all

    select * from gitlab_work_items

)

select * from final
