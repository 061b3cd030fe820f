-- Spec section 7: flow velocity summed over all day periods of a value stream equals the number of its flow
-- items done now (an item created done counts once, at creation). Returns the value streams that disagree.
-- Shown in Dagster as an asset check on the model it judges.
{{ config(meta={'dagster': {'ref': {'name': 'metrics_flow_velocity'}}}) }}

with

metrics_flow_velocity as (

    select * from {{ ref('metrics_flow_velocity') }}

),

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

velocity_totals as (

    select
        value_stream,
        sum(flow_velocity) as flow_velocity
    from metrics_flow_velocity
    where
        period_grain = 'day'
        and flow_item_type = 'all'
    group by value_stream

),

done_items as (

    select
        value_stream,
        count(*) as items_done
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and is_done
        and not is_canceled
    group by value_stream

    union all

    select
        'all' as value_stream,
        count(*) as items_done
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and is_done
        and not is_canceled

),

final as (

    select
        velocity_totals.value_stream,
        velocity_totals.flow_velocity,
        coalesce(done_items.items_done, 0) as items_done
    from velocity_totals
    left join done_items
        on velocity_totals.value_stream = done_items.value_stream
    where velocity_totals.flow_velocity != coalesce(done_items.items_done, 0)

)

select * from final
