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

period_statistics as (

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
        avg(cast(int_metrics_completed_items.flow_time_days as {{ metrics_exact_decimal() }})) as mean_days,
        {{ metrics_percentiles('int_metrics_completed_items.flow_time_days', [0.5, 0.85, 0.95]) }}
            as percentiles_days,
        min(int_metrics_completed_items.flow_time_days) as min_days,
        max(int_metrics_completed_items.flow_time_days) as max_days,
        avg(
            cast(int_metrics_completed_items.flow_time_business_days as {{ metrics_exact_decimal() }})
        ) as mean_business_days,
        {{ metrics_percentiles('int_metrics_completed_items.flow_time_business_days', [0.5, 0.85, 0.95]) }}
            as percentiles_business_days,
        min(int_metrics_completed_items.flow_time_business_days) as min_business_days,
        max(int_metrics_completed_items.flow_time_business_days) as max_business_days
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
        cast(coalesce(period_statistics.items, 0) as bigint) as items,
        {{ metrics_round6('period_statistics.mean_days') }} as mean_days,
        {{ metrics_list_element('period_statistics.percentiles_days', 1) }} as median_days,
        {{ metrics_list_element('period_statistics.percentiles_days', 2) }} as p85_days,
        {{ metrics_list_element('period_statistics.percentiles_days', 3) }} as p95_days,
        {{ metrics_round6('period_statistics.min_days') }} as min_days,
        {{ metrics_round6('period_statistics.max_days') }} as max_days,
        {{ metrics_round6('period_statistics.mean_business_days') }} as mean_business_days,
        {{ metrics_list_element('period_statistics.percentiles_business_days', 1) }} as median_business_days,
        {{ metrics_list_element('period_statistics.percentiles_business_days', 2) }} as p85_business_days,
        {{ metrics_list_element('period_statistics.percentiles_business_days', 3) }} as p95_business_days,
        {{ metrics_round6('period_statistics.min_business_days') }} as min_business_days,
        {{ metrics_round6('period_statistics.max_business_days') }} as max_business_days
    from int_metrics_periods
    cross join flow_item_types
    left join period_statistics
        on
            int_metrics_periods.value_stream = period_statistics.value_stream
            and flow_item_types.flow_item_type = period_statistics.flow_item_type
            and int_metrics_periods.period_grain = period_statistics.period_grain
            and int_metrics_periods.period_start = period_statistics.period_start

)

select * from final
