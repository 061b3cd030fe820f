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

final as (

    select
        int_metrics_item_state_days.source,
        int_metrics_item_state_days.item_id,
        int_metrics_item_state_days.value_stream,
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        cast(sum(int_metrics_item_state_days.milliseconds) as {{ dbt.type_bigint() }}) as milliseconds
    from int_metrics_item_state_days
    inner join int_metrics_calendar
        on int_metrics_item_state_days.day_date = int_metrics_calendar.day_date
    where int_metrics_calendar.period_grain != 'day'
    group by
        int_metrics_item_state_days.source,
        int_metrics_item_state_days.item_id,
        int_metrics_item_state_days.value_stream,
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

)

select * from final
