{{ config(schema='intermediate') }}

{# Each flow item's time in a tool state per week, month and quarter, in whole milliseconds (exact sums of its
    days): with the day rows of int_metrics_item_state_days, the values the bottlenecks' median is taken over.
    Days are not repeated here: at 1M issues they are 15M rows a second table would only copy. #}
with

int_metrics_item_state_days as (

    select * from {{ ref('int_metrics_item_state_days') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

weeks_and_months as (

    select
        int_metrics_item_state_days.source,
        int_metrics_item_state_days.item_id,
        int_metrics_item_state_days.value_stream,
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        sum(int_metrics_item_state_days.milliseconds) as milliseconds
    from int_metrics_item_state_days
    inner join int_metrics_calendar
        on int_metrics_item_state_days.day_date = int_metrics_calendar.day_date
    where int_metrics_calendar.period_grain in ('week', 'month')
    group by
        int_metrics_item_state_days.source,
        int_metrics_item_state_days.item_id,
        int_metrics_item_state_days.value_stream,
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

),

quarters as (

    {# A quarter is whole months: summing the months reads ~3x fewer rows than summing the days. Its start
        is truncated from the month's, as int_metrics_calendar does (a month can start before the calendar). #}
    select
        source,
        item_id,
        value_stream,
        tool_state,
        'quarter' as period_grain,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date) as period_start,
        sum(milliseconds) as milliseconds
    from weeks_and_months
    where period_grain = 'month'
    group by
        source,
        item_id,
        value_stream,
        tool_state,
        cast({{ dbt.date_trunc('quarter', 'period_start') }} as date)

),

final as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        period_grain,
        period_start,
        cast(milliseconds as {{ dbt.type_bigint() }}) as milliseconds
    from weeks_and_months

    union all

    select
        source,
        item_id,
        value_stream,
        tool_state,
        period_grain,
        period_start,
        cast(milliseconds as {{ dbt.type_bigint() }}) as milliseconds
    from quarters

)

select * from final
