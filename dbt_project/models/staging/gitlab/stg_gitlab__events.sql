{%- set event_columns = {
    'item_id': dbt.type_string(),
    'event_id': dbt.type_string(),
    'resource': dbt.type_string(),
    'event_type': dbt.type_string(),
    'created_at': dbt.type_timestamp(),
    'actor_username': dbt.type_string(),
    'label_name': dbt.type_string(),
    'state': dbt.type_string(),
    '_dlt_load_id': dbt.type_string(),
} -%}

with

events as (

    {{ source_or_empty('raw_gitlab', 'events', event_columns) }}

),

tracker as (

    select tracker_values.source
    from (values ('gitlab')) as tracker_values (source)

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
        resource as event_resource,
        event_type,
        created_at,
        actor_username,
        label_name,
        state,
        {{ dbt.concat(['item_id', "'-'", 'event_id']) }} as item_event_id
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
