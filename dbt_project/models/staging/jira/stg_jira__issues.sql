with

issues as (

    select * from {{ source('raw_jira', 'issues') }}

),

issues_in_scope as (

    select issue_id from {{ ref('stg_jira__issue_scope') }}
    where is_in_scope

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

issues_ranked as (

    select
        *,
        row_number() over (
            partition by id
            order by updated desc nulls last, _dlt_load_id desc
        ) as load_rank
    from issues
    where id in (select issues_in_scope.issue_id from issues_in_scope)

),

issues_renamed as (

    select
        id as issue_id,
        key as issue_key,
        instance_url,
        project_id,
        project_key,
        project_name,
        issue_type_id,
        issue_type_name,
        status_id,
        status_name,
        status_category_key,
        resolution_name,
        resolution_date as resolved_at,
        created as created_at,
        updated as updated_at,
        summary,
        components,
        fix_versions,
        parent_id,
        parent_key,
        assignee_account_id,
        assignee_name,
        changelog_total as history_reported_count,
        changelog_loaded as history_loaded_count,
        _dlt_load_id as dlt_load_id,
        {{ dbt.concat(['instance_url', "'/browse/'", 'key']) }} as issue_url,
        coalesce(is_subtask, false) as is_subtask,
        coalesce(labels, '[]') as labels,
        coalesce(is_flagged, false)
        or {{ labels_json_has_any('labels', var('jira_blocked_labels', ['blocked'])) }} as is_flagged
    from issues_ranked
    where load_rank = 1

),

final as (

    select
        issues_renamed.*,
        tracker.source
    from issues_renamed
    cross join tracker

)

select * from final
