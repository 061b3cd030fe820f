{%- set item_columns = {
    'id': dbt.type_string(),
    'gitlab_id': dbt.type_bigint(),
    'kind': dbt.type_string(),
    'project_id': dbt.type_bigint(),
    'project_path': dbt.type_string(),
    'iid': dbt.type_bigint(),
    'reference': dbt.type_string(),
    'web_url': dbt.type_string(),
    'title': dbt.type_string(),
    'state': dbt.type_string(),
    'issue_type': dbt.type_string(),
    'is_draft': dbt.type_boolean(),
    'labels': dbt.type_string(),
    'author_username': dbt.type_string(),
    'created_at': dbt.type_timestamp(),
    'updated_at': dbt.type_timestamp(),
    'closed_at': dbt.type_timestamp(),
    'merged_at': dbt.type_timestamp(),
    'events_loaded': dbt.type_bigint(),
    'configured_project': dbt.type_string(),
    'moved_to_id': dbt.type_bigint(),
    '_dlt_load_id': dbt.type_string(),
} -%}
{%- set blocked_labels = var('gitlab_blocked_labels', ['blocked']) -%}
{#- Only items of the projects the last run was configured with (raw_gitlab.project_scope, replaced every
    run), matched on the SOURCES__GITLAB__PROJECTS entry (id or path) each item was read under: a project
    removed from the configuration, or GitLab no longer configured at all (an empty listing), leaves the facts
    and metrics as a full refresh would. Items landed before the source recorded that entry match on their
    project's path or id. Without a listing (landed before the source wrote one) every item stays. An issue moved
    to another project leaves too: GitLab closes it where it was and gives it `moved_to_id`, so it would
    otherwise count as done; its copy is an item of the project it moved to, when that one is configured. -#}
{%- set scope_is_listed = source_table_exists('raw_gitlab', 'project_scope') -%}

with

items as (

    {{ source_or_empty('raw_gitlab', 'items', item_columns) }}

),

projects_in_scope as (

    {% if scope_is_listed -%}
        select distinct lower(project) as project
        from {{ source('raw_gitlab', 'project_scope') }}
    {%- else -%}
        select distinct lower(coalesce(items.configured_project, items.project_path)) as project
        from items
    {%- endif %}

),

items_ranked as (

    select
        *,
        row_number() over (
            partition by id
            order by updated_at desc nulls last, _dlt_load_id desc
        ) as load_rank
    from items

),

items_in_scope as (

    select items_ranked.*
    from items_ranked
    where
        items_ranked.load_rank = 1
        and items_ranked.moved_to_id is null
        and (
            lower(items_ranked.configured_project) in (select projects_in_scope.project from projects_in_scope)
            or (
                items_ranked.configured_project is null
                and (
                    lower(items_ranked.project_path) in (select projects_in_scope.project from projects_in_scope)
                    or cast(items_ranked.project_id as {{ dbt.type_string() }})
                    in (select projects_in_scope.project from projects_in_scope)
                )
            )
        )

),

tracker as (

    select tracker_values.source
    from (values ('gitlab')) as tracker_values (source)

),

items_renamed as (

    select
        id as item_id,
        gitlab_id,
        kind as item_kind,
        project_id,
        project_path,
        iid as item_iid,
        web_url as item_url,
        title,
        state,
        author_username,
        created_at,
        updated_at,
        closed_at,
        merged_at,
        _dlt_load_id as dlt_load_id,
        kind = 'merge_request' as is_merge_request,
        coalesce(is_draft, false) as is_draft,
        coalesce(
            reference,
            {{ dbt.concat([
                'project_path',
                "case when kind = 'merge_request' then '!' else '#' end",
                'cast(iid as ' ~ dbt.type_string() ~ ')',
            ]) }}
        ) as item_key,
        case
            when kind = 'merge_request' then 'Merge Request'
            when issue_type is null or lower(issue_type) = 'issue' then 'Issue'
            else {{ dbt.concat(['upper(substring(issue_type, 1, 1))', 'lower(substring(issue_type, 2))']) }}
        end as item_type,
        coalesce(labels, '[]') as labels,
        {{ labels_json_has_any('labels', blocked_labels) }} as is_blocked,
        coalesce(events_loaded, 0) as events_loaded_count,
        case when kind = 'merge_request' then 'In Progress' else 'Open' end as initial_tool_state
    from items_in_scope

),

final as (

    select
        items_renamed.*,
        tracker.source
    from items_renamed
    cross join tracker

)

select * from final
