{{ config(schema='intermediate') }}

with

flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

value_stream_starts as (

    select
        value_stream,
        min({{ periods_reporting_date('created_at') }}) as first_date
    from flow_items
    group by value_stream

    union all

    select
        'all' as value_stream,
        min({{ periods_reporting_date('created_at') }}) as first_date
    from flow_items

),

final as (

    select
        value_stream_starts.value_stream,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        min(int_metrics_calendar.day_date) as first_day_date,
        max(int_metrics_calendar.day_date) as last_day_date,
        count(*) as days_in_scope
    from value_stream_starts
    inner join int_metrics_calendar
        on value_stream_starts.first_date <= int_metrics_calendar.day_date
    group by
        value_stream_starts.value_stream,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

)

select * from final
