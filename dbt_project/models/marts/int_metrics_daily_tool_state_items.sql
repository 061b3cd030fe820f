{{ config(schema='intermediate') }}

{# End-of-day item counts per tool state with the same running-sum construction as
    int_metrics_daily_flow_load: no row per item and day, for done and new states either. #}
with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

int_metrics_periods as (

    select * from {{ ref('int_metrics_periods') }}

),

int_metrics_tool_states as (

    select * from {{ ref('int_metrics_tool_states') }}

),

state_stays as (

    select
        value_stream,
        tool_state,
        entered_date as first_covered_date,
        case
            when exited_at is null
                then cast({{ dbt.dateadd('day', 1, periods_reporting_date(as_of_timestamp())) }} as date)
            else {{ periods_reporting_date('exited_at') }}
        end as first_uncovered_date
    from fct_state_intervals
    where flow_item_type in ({{ metrics_flow_item_types_sql() }})

),

item_changes as (

    select
        value_stream,
        tool_state,
        first_covered_date as day_date,
        1 as item_change
    from state_stays
    where first_covered_date < first_uncovered_date

    union all

    select
        value_stream,
        tool_state,
        first_uncovered_date as day_date,
        -1 as item_change
    from state_stays
    where first_covered_date < first_uncovered_date

),

daily_changes as (

    select
        tool_state,
        day_date,
        case when grouping(value_stream) = 1 then 'all' else value_stream end as value_stream,
        sum(item_change) as item_change
    from item_changes
    group by rollup(value_stream), tool_state, day_date

),

day_spine as (

    select
        int_metrics_periods.value_stream,
        int_metrics_tool_states.tool_state,
        int_metrics_periods.period_start as day_date
    from int_metrics_periods
    inner join int_metrics_tool_states
        on int_metrics_periods.value_stream = int_metrics_tool_states.value_stream
    where int_metrics_periods.period_grain = 'day'

),

final as (

    select
        day_spine.value_stream,
        day_spine.tool_state,
        day_spine.day_date,
        cast(sum(coalesce(daily_changes.item_change, 0)) over running_total as bigint) as items
    from day_spine
    left join daily_changes
        on
            day_spine.value_stream = daily_changes.value_stream
            and day_spine.tool_state = daily_changes.tool_state
            and day_spine.day_date = daily_changes.day_date
    window running_total as (
        partition by day_spine.value_stream, day_spine.tool_state
        order by day_spine.day_date
        rows between unbounded preceding and current row
    )

)

select * from final
