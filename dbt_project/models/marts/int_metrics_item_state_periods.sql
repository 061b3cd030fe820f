{{ config(schema='intermediate') }}

{# Each flow item's time in a tool state per week, month and quarter, in whole milliseconds (exact sums of its
    days): with the day rows of int_metrics_item_state_days, the values the bottlenecks' median is taken over.
    Days are not repeated here: at 1M issues they are 15M rows a second table would only copy.
    A period starts where int_metrics_calendar starts it (the same periods_period_start), and every day here is
    a calendar day, so no join to the calendar is needed. Weeks and months are two groupings, each of half the
    groups: one grouping of both (the days joined to both periods) took a third longer at 1M issues, and each
    reads the days through its own import CTE, as DuckDB would otherwise copy a CTE read twice. #}
with

days_for_weeks as (

    select * from {{ ref('int_metrics_item_state_days') }}

),

days_for_months as (

    select * from {{ ref('int_metrics_item_state_days') }}

),

weeks as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        'week' as period_grain,
        {{ periods_period_start('week', 'day_date') }} as period_start,
        cast(sum(milliseconds) as {{ dbt.type_bigint() }}) as milliseconds
    from days_for_weeks
    group by
        source,
        item_id,
        value_stream,
        tool_state,
        {{ periods_period_start('week', 'day_date') }}

),

months as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        'month' as period_grain,
        {{ periods_period_start('month', 'day_date') }} as period_start,
        cast(sum(milliseconds) as {{ dbt.type_bigint() }}) as milliseconds
    from days_for_months
    group by
        source,
        item_id,
        value_stream,
        tool_state,
        {{ periods_period_start('month', 'day_date') }}

),

quarters as (

    {# A quarter is whole months: summing the months reads ~3x fewer rows than summing the days. #}
    select
        source,
        item_id,
        value_stream,
        tool_state,
        'quarter' as period_grain,
        {{ periods_period_start('quarter', 'period_start') }} as period_start,
        cast(sum(milliseconds) as {{ dbt.type_bigint() }}) as milliseconds
    from months
    group by
        source,
        item_id,
        value_stream,
        tool_state,
        {{ periods_period_start('quarter', 'period_start') }}

),

final as (

    select * from weeks

    union all

    select * from months

    union all

    select * from quarters

)

select * from final
