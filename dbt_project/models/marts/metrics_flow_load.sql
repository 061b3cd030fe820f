with

int_metrics_daily_flow_load as (

    select * from {{ ref('int_metrics_daily_flow_load') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

final as (

    {# The daily spine starts at each value stream's first work item and ends at as-of, so the average of a
        longer period runs over exactly the period's days between those bounds. #}
    select
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        avg(cast(int_metrics_daily_flow_load.flow_load as {{ metrics_type_double() }})) as flow_load,
        avg(cast(int_metrics_daily_flow_load.active_load as {{ metrics_type_double() }})) as active_load,
        avg(cast(int_metrics_daily_flow_load.waiting_load as {{ metrics_type_double() }})) as waiting_load,
        count(*) as days_in_scope
    from int_metrics_daily_flow_load
    inner join int_metrics_calendar
        on int_metrics_daily_flow_load.day_date = int_metrics_calendar.day_date
    group by
        int_metrics_daily_flow_load.value_stream,
        int_metrics_daily_flow_load.flow_item_type,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

)

select * from final
