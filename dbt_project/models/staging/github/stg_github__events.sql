{%- set event_columns = {
    'item_id': dbt.type_string(),
    'event_id': dbt.type_string(),
    'repository': dbt.type_string(),
    'item_number': dbt.type_bigint(),
    'event_type': dbt.type_string(),
    'created_at': dbt.type_timestamp(),
    'actor_login': dbt.type_string(),
    'label_name': dbt.type_string(),
    'review_state': dbt.type_string(),
    'state_reason': dbt.type_string(),
    'requested_reviewer_login': dbt.type_string(),
    'assignee_login': dbt.type_string(),
    'commit_id': dbt.type_string(),
    'source_item_url': dbt.type_string(),
    'source_is_pull_request': dbt.type_boolean(),
    '_dlt_load_id': dbt.type_string(),
} -%}

with

events as (

    {{ source_or_empty('raw_github', 'events', event_columns) }}

),

tracker as (

    select tracker_values.source
    from (values ('github')) as tracker_values (source)

),

events_ranked as (

    select
        *,
        row_number() over (
            partition by item_id, event_id
            order by _dlt_load_id desc
        ) as load_rank
    from events

),

events_renamed as (

    select
        item_id,
        event_id,
        repository,
        item_number,
        event_type,
        created_at,
        actor_login,
        label_name,
        review_state,
        state_reason,
        requested_reviewer_login,
        assignee_login,
        commit_id,
        source_item_url,
        {{ dbt.concat(['item_id', "'-'", 'event_id']) }} as item_event_id,
        coalesce(source_is_pull_request, false) as is_source_pull_request
    from events_ranked
    where load_rank = 1

),

final as (

    select
        events_renamed.*,
        tracker.source
    from events_renamed
    cross join tracker

)

select * from final
