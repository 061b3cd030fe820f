with

stg_jira__issues as (

    select * from {{ ref('stg_jira__issues') }}

),

jira_work_items as (

    select
        source,
        issue_id as item_id,
        issue_key as item_key,
        issue_url as item_url,
        project_key,
        issue_type_name as item_type,
        labels,
        parent_key,
        created_at,
        updated_at,
        status_name as current_tool_state,
        status_category_key as current_tool_state_category,
        resolution_name as resolution,
        is_flagged as is_flagged_now,
        history_reported_count,
        history_loaded_count
    from stg_jira__issues

),

final as (

    select * from jira_work_items

)

select * from final
