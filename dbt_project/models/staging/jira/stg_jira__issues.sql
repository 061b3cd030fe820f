with

issues as (

    select * from {{ source('raw_jira', 'issues') }}

),

issues_deduplicated as (

    select
        *,
        row_number() over (
            partition by id
            order by updated desc, _dlt_load_id desc
        ) as load_rank
    from issues

),

final as (

    select
        'jira' as "source",
        id as issue_id,
        key as issue_key,
        instance_url,
        {{ dbt.concat(['instance_url', "'/browse/'", 'key']) }} as issue_url,
        project_id,
        project_key,
        project_name,
        issue_type_id,
        issue_type_name,
        coalesce(is_subtask, false) as is_subtask,
        status_id,
        status_name,
        status_category_key,
        resolution_name,
        resolution_date as resolved_at,
        created as created_at,
        updated as updated_at,
        summary,
        coalesce(labels, '[]') as labels,
        components,
        fix_versions,
        parent_id,
        parent_key,
        coalesce(is_flagged, false) as is_flagged,
        assignee_account_id,
        assignee_name,
        changelog_total as history_reported_count,
        changelog_loaded as history_loaded_count,
        _dlt_load_id as dlt_load_id
    from issues_deduplicated
    where load_rank = 1

)

select * from final
