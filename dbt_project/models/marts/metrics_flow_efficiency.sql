with

int_metrics_completed_items as (

    select * from {{ ref('int_metrics_completed_items') }}

),

int_metrics_periods as (

    select * from {{ ref('int_metrics_periods') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

period_efficiency as (

    select
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
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
        count(*) as items,
        sum(cast(int_metrics_completed_items.active_time_days as {{ metrics_exact_decimal() }})) as active_time_days,
        sum(cast(int_metrics_completed_items.flow_time_days as {{ metrics_exact_decimal() }})) as flow_time_days,
        {{ metrics_percentile('int_metrics_completed_items.flow_efficiency', 0.5) }} as median_item_efficiency
    from int_metrics_completed_items
    inner join int_metrics_calendar
        on int_metrics_completed_items.completed_date = int_metrics_calendar.day_date
    group by
        cube(int_metrics_completed_items.value_stream, int_metrics_completed_items.flow_item_type),
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

),

flow_item_types as (

    {{ metrics_flow_item_type_rows(include_all=true) }}

),

final as (

    select
        int_metrics_periods.value_stream,
        flow_item_types.flow_item_type,
        int_metrics_periods.period_grain,
        int_metrics_periods.period_start,
        cast(coalesce(period_efficiency.items, 0) as bigint) as items,
        {{ metrics_round6('period_efficiency.active_time_days') }} as active_time_days,
        {{ metrics_round6('period_efficiency.flow_time_days') }} as flow_time_days,
        {{ metrics_round6(
            'period_efficiency.active_time_days / nullif(period_efficiency.flow_time_days, 0)'
        ) }} as flow_efficiency,
        period_efficiency.median_item_efficiency
    from int_metrics_periods
    cross join flow_item_types
    left join period_efficiency
        on
            int_metrics_periods.value_stream = period_efficiency.value_stream
            and flow_item_types.flow_item_type = period_efficiency.flow_item_type
            and int_metrics_periods.period_grain = period_efficiency.period_grain
            and int_metrics_periods.period_start = period_efficiency.period_start

)

select * from final
