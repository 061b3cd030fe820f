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
    '_dlt_load_id': dbt.type_string(),
} -%}
{%- set blocked_labels = var('gitlab_blocked_labels', ['blocked']) -%}

with

items as (

    {{ source_or_empty('raw_gitlab', 'items', item_columns) }}

),

tracker as (

    select tracker_values.source
    from (values ('gitlab')) as tracker_values (source)

),

items_ranked as (

    select
        *,
        row_number() over (
            partition by id
            order by updated_at desc, _dlt_load_id desc
        ) as load_rank
    from items

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
    from items_ranked
    where load_rank = 1

),

final as (

    select
        items_renamed.*,
        tracker.source
    from items_renamed
    cross join tracker

)

select * from final
