{%- set item_columns = {
    'id': dbt.type_string(),
    'repository': dbt.type_string(),
    'number': dbt.type_bigint(),
    'html_url': dbt.type_string(),
    'title': dbt.type_string(),
    'is_pull_request': dbt.type_boolean(),
    'is_draft': dbt.type_boolean(),
    'state': dbt.type_string(),
    'state_reason': dbt.type_string(),
    'issue_type_name': dbt.type_string(),
    'labels': dbt.type_string(),
    'author_login': dbt.type_string(),
    'created_at': dbt.type_timestamp(),
    'updated_at': dbt.type_timestamp(),
    'closed_at': dbt.type_timestamp(),
    'merged_at': dbt.type_timestamp(),
    'events_loaded': dbt.type_bigint(),
    '_dlt_load_id': dbt.type_string(),
} -%}
{%- set blocked_labels = var('github_blocked_labels', ['blocked']) -%}
{#- Only items of the repositories the last run was configured with (raw_github.repository_scope, replaced
    every run): a repository removed from SOURCES__GITHUB__REPOSITORIES, or GitHub no longer configured at
    all (an empty listing), leaves the facts and metrics as a full refresh would. Without a listing (landed
    before the source wrote one) every item stays. -#}
{%- set scope_is_listed = source_table_exists('raw_github', 'repository_scope') -%}

with

items as (

    {{ source_or_empty('raw_github', 'items', item_columns) }}

),

repositories_in_scope as (

    {% if scope_is_listed -%}
        select distinct lower(repository) as repository
        from {{ source('raw_github', 'repository_scope') }}
    {%- else -%}
        select distinct lower(items.repository) as repository
        from items
    {%- endif %}

),

tracker as (

    select tracker_values.source
    from (values ('github')) as tracker_values (source)

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

items_renamed as (

    select
        items_ranked.id as item_id,
        items_ranked.repository,
        items_ranked.number as item_number,
        items_ranked.html_url as item_url,
        items_ranked.title,
        items_ranked.state,
        items_ranked.state_reason,
        items_ranked.author_login,
        items_ranked.created_at,
        items_ranked.updated_at,
        items_ranked.closed_at,
        items_ranked.merged_at,
        items_ranked._dlt_load_id as dlt_load_id,
        {{ dbt.concat(['items_ranked.repository', "'#'", 'cast(items_ranked.number as ' ~ dbt.type_string() ~ ')']) }}
            as item_key,
        coalesce(items_ranked.is_pull_request, false) as is_pull_request,
        coalesce(items_ranked.is_draft, false) as is_draft,
        coalesce(
            items_ranked.issue_type_name,
            case when items_ranked.is_pull_request then 'Pull Request' else 'Issue' end
        ) as item_type,
        coalesce(items_ranked.labels, '[]') as labels,
        {{ labels_json_has_any('items_ranked.labels', blocked_labels) }} as is_blocked,
        coalesce(items_ranked.events_loaded, 0) as events_loaded_count,
        case when items_ranked.is_pull_request then 'In Progress' else 'Open' end as initial_tool_state
    from items_ranked
    where
        items_ranked.load_rank = 1
        and lower(items_ranked.repository) in (select repositories_in_scope.repository from repositories_in_scope)

),

final as (

    select
        items_renamed.*,
        tracker.source
    from items_renamed
    cross join tracker

)

select * from final
