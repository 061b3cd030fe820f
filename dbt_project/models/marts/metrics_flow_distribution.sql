with

metrics_flow_velocity as (

    select * from {{ ref('metrics_flow_velocity') }}

),

metrics_flow_load as (

    select * from {{ ref('metrics_flow_load') }}

),

type_totals as (

    select
        metrics_flow_velocity.value_stream,
        metrics_flow_velocity.flow_item_type,
        metrics_flow_velocity.period_grain,
        metrics_flow_velocity.period_start,
        metrics_flow_velocity.completed,
        metrics_flow_load.flow_load
    from metrics_flow_velocity
    left join metrics_flow_load
        on
            metrics_flow_velocity.value_stream = metrics_flow_load.value_stream
            and metrics_flow_velocity.flow_item_type = metrics_flow_load.flow_item_type
            and metrics_flow_velocity.period_grain = metrics_flow_load.period_grain
            and metrics_flow_velocity.period_start = metrics_flow_load.period_start

),

{# Shares divide by the sum over the four types (the `all` row holds that same total), so the non-null
    shares of a value stream and period add up to 1 by construction. #}
final as (

    select
        value_stream,
        period_grain,
        period_start,
        flow_item_type,
        cast(completed as bigint) as completed,
        round(cast(coalesce(flow_load, 0) as {{ metrics_type_double() }}), 6) as flow_load,
        cast(completed as {{ metrics_type_double() }})
        / nullif(sum(completed) over period_types, 0) as velocity_share,
        cast(
            cast(coalesce(flow_load, 0) as {{ metrics_exact_decimal() }})
            / nullif(sum(cast(coalesce(flow_load, 0) as {{ metrics_exact_decimal() }})) over period_types, 0)
            as {{ metrics_type_double() }}
        ) as load_share
    from type_totals
    where flow_item_type != 'all'
    window period_types as (partition by value_stream, period_grain, period_start)

)

select * from final
