{{ config(schema='intermediate') }}

with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

flow_item_stays as (

    select
        value_stream,
        tool_state,
        tool_state_flow_state,
        is_current
    from fct_state_intervals
    where flow_item_type in ({{ metrics_flow_item_types_sql() }})

),

{# Tool states are matched by name across value streams for the portfolio (`all`) rows. #}
state_mappings as (

    select
        tool_state,
        tool_state_flow_state,
        case when grouping(value_stream) = 1 then 'all' else value_stream end as value_stream,
        count(*) as stays,
        sum(case when is_current then 1 else 0 end) as items_now
    from flow_item_stays
    group by rollup(value_stream), tool_state, tool_state_flow_state

),

{# A state mapped differently per item type or project gets the mapping of most of its stays. #}
ranked_mappings as (

    select
        value_stream,
        tool_state,
        tool_state_flow_state,
        sum(items_now) over value_stream_state as items_now,
        row_number() over (
            partition by value_stream, tool_state
            order by stays desc, tool_state_flow_state asc nulls last
        ) as mapping_rank
    from state_mappings
    window value_stream_state as (partition by value_stream, tool_state)

),

final as (

    select
        value_stream,
        tool_state,
        tool_state_flow_state as flow_state,
        cast(items_now as bigint) as items_now
    from ranked_mappings
    where mapping_rank = 1

)

select * from final
