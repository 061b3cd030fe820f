{# Little's law check, reported and never enforced: over the last `littles_law_window_days` days before
    as-of, average flow load ~= flow velocity per day x mean flow time of the items completed in the window. #}
{%- set window_days = var('littles_law_window_days', 90) -%}

with

int_metrics_daily_flow_load as (

    select * from {{ ref('int_metrics_daily_flow_load') }}

),

metrics_flow_velocity as (

    select * from {{ ref('metrics_flow_velocity') }}

),

int_metrics_completed_items as (

    select * from {{ ref('int_metrics_completed_items') }}

),

window_bounds as (

    select
        cast({{ dbt.dateadd('day', 1 - window_days, periods_reporting_date(as_of_timestamp())) }} as date)
            as window_start,
        {{ periods_reporting_date(as_of_timestamp()) }} as window_end

),

window_loads as (

    select
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type,
        min(int_metrics_daily_flow_load.day_date) as window_start,
        max(int_metrics_daily_flow_load.day_date) as window_end,
        count(*) as window_days,
        avg(cast(int_metrics_daily_flow_load.flow_load as {{ metrics_type_double() }})) as avg_flow_load
    from int_metrics_daily_flow_load
    inner join window_bounds
        on int_metrics_daily_flow_load.day_date between window_bounds.window_start and window_bounds.window_end
    group by
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type

),

window_velocity as (

    select
        metrics_flow_velocity.value_stream,
        metrics_flow_velocity.flow_item_type,
        sum(metrics_flow_velocity.flow_velocity) as flow_velocity
    from metrics_flow_velocity
    inner join window_bounds
        on metrics_flow_velocity.period_start between window_bounds.window_start and window_bounds.window_end
    where metrics_flow_velocity.period_grain = 'day'
    group by
        metrics_flow_velocity.value_stream,
        metrics_flow_velocity.flow_item_type

),

window_flow_times as (

    select
        case
            when grouping(int_metrics_completed_items.value_stream) = 1
                then 'all'
            else int_metrics_completed_items.value_stream
        end as value_stream,
        case
            when grouping(int_metrics_completed_items.flow_item_type) = 1
                then 'all'
            else int_metrics_completed_items.flow_item_type
        end as flow_item_type,
        count(*) as completed_items,
        avg(cast(int_metrics_completed_items.flow_time_days as {{ metrics_exact_decimal() }})) as mean_flow_time_days
    from int_metrics_completed_items
    inner join window_bounds
        on int_metrics_completed_items.completed_date between window_bounds.window_start and window_bounds.window_end
    group by cube(int_metrics_completed_items.value_stream, int_metrics_completed_items.flow_item_type)

),

predictions as (

    select
        window_loads.value_stream,
        window_loads.flow_item_type,
        window_loads.window_start,
        window_loads.window_end,
        window_loads.window_days,
        window_loads.avg_flow_load,
        cast(coalesce(window_velocity.flow_velocity, 0) as {{ metrics_type_double() }})
        / window_loads.window_days as velocity_per_day,
        coalesce(window_flow_times.completed_items, 0) as completed_items,
        window_flow_times.mean_flow_time_days
    from window_loads
    left join window_velocity
        on
            window_loads.value_stream = window_velocity.value_stream
            and window_loads.flow_item_type = window_velocity.flow_item_type
    left join window_flow_times
        on
            window_loads.value_stream = window_flow_times.value_stream
            and window_loads.flow_item_type = window_flow_times.flow_item_type

),

final as (

    select
        value_stream,
        flow_item_type,
        window_start,
        window_end,
        cast(window_days as bigint) as window_days,
        {{ metrics_round6('avg_flow_load') }} as avg_flow_load,
        {{ metrics_round6('velocity_per_day') }} as velocity_per_day,
        cast(completed_items as bigint) as completed_items,
        {{ metrics_round6('mean_flow_time_days') }} as mean_flow_time_days,
        {{ metrics_round6('velocity_per_day * mean_flow_time_days') }} as predicted_flow_load,
        {{ metrics_round6('avg_flow_load / nullif(velocity_per_day * mean_flow_time_days, 0)') }} as ratio
    from predictions

)

select * from final
