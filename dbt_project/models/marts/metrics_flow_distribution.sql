with

metrics_flow_velocity as (

    select * from {{ ref('metrics_flow_velocity') }}

),

int_metrics_daily_flow_load as (

    select * from {{ ref('int_metrics_daily_flow_load') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

{# Canceled items are excluded from distribution (spec section 4), so the load it divides is the average of
    the daily load of items not canceled now, over the same days as metrics_flow_load's average. #}
distribution_loads as (

    select
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        avg(cast(int_metrics_daily_flow_load.distribution_load as {{ metrics_type_double() }})) as flow_load
    from int_metrics_daily_flow_load
    inner join int_metrics_calendar
        on int_metrics_daily_flow_load.day_date = int_metrics_calendar.day_date
    where int_metrics_daily_flow_load.flow_item_type != 'all'
    group by
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

),

type_totals as (

    select
        metrics_flow_velocity.value_stream,
        metrics_flow_velocity.flow_item_type,
        metrics_flow_velocity.period_grain,
        metrics_flow_velocity.period_start,
        metrics_flow_velocity.completed,
        distribution_loads.flow_load
    from metrics_flow_velocity
    left join distribution_loads
        on
            metrics_flow_velocity.value_stream = distribution_loads.value_stream
            and metrics_flow_velocity.flow_item_type = distribution_loads.flow_item_type
            and metrics_flow_velocity.period_grain = distribution_loads.period_grain
            and metrics_flow_velocity.period_start = distribution_loads.period_start

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
        {{ metrics_round6('coalesce(flow_load, 0)') }} as flow_load,
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
