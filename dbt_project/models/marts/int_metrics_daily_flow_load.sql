{{ config(schema='intermediate') }}

{# End-of-day load without a row per item and day: a stay in waiting or active covers the ends of the days
    from its entry date up to the day before its exit date (a change at exactly midnight belongs to the next
    day), or up to the as-of day while current. Each stay adds +1 on its first covered day and -1 on the day
    after its last; a running sum over the zero-filled day spine gives the daily count. `distribution_load`
    counts the same stays of items that are not canceled now: Flow Distribution excludes canceled items
    (spec section 4), while Flow Load drops them only from their cancel on. #}
with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

int_metrics_periods as (

    select * from {{ ref('int_metrics_periods') }}

),

canceled_items as (

    select
        source,
        item_id
    from fct_flow_items
    where is_canceled

),

load_stays as (

    select
        fct_state_intervals.value_stream,
        fct_state_intervals.flow_item_type,
        fct_state_intervals.flow_state,
        fct_state_intervals.entered_date as first_covered_date,
        case
            when fct_state_intervals.exited_at is null
                then cast({{ dbt.dateadd('day', 1, periods_reporting_date(as_of_timestamp())) }} as date)
            else {{ periods_reporting_date('fct_state_intervals.exited_at') }}
        end as first_uncovered_date,
        case when canceled_items.item_id is null then 1 else 0 end as is_distributed
    from fct_state_intervals
    left join canceled_items
        on
            fct_state_intervals.source = canceled_items.source
            and fct_state_intervals.item_id = canceled_items.item_id
    where
        fct_state_intervals.flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and fct_state_intervals.flow_state in ('waiting', 'active')

),

load_changes as (

    select
        value_stream,
        flow_item_type,
        first_covered_date as day_date,
        case when flow_state = 'active' then 1 else 0 end as active_change,
        case when flow_state = 'waiting' then 1 else 0 end as waiting_change,
        is_distributed as distribution_change
    from load_stays
    where first_covered_date < first_uncovered_date

    union all

    select
        value_stream,
        flow_item_type,
        first_uncovered_date as day_date,
        case when flow_state = 'active' then -1 else 0 end as active_change,
        case when flow_state = 'waiting' then -1 else 0 end as waiting_change,
        -is_distributed as distribution_change
    from load_stays
    where first_covered_date < first_uncovered_date

),

daily_changes as (

    select
        day_date,
        case when grouping(value_stream) = 1 then 'all' else value_stream end as value_stream,
        case when grouping(flow_item_type) = 1 then 'all' else flow_item_type end as flow_item_type,
        sum(active_change) as active_change,
        sum(waiting_change) as waiting_change,
        sum(distribution_change) as distribution_change
    from load_changes
    group by cube(value_stream, flow_item_type), day_date

),

flow_item_types as (

    {{ metrics_flow_item_type_rows(include_all=true) }}

),

day_spine as (

    select
        int_metrics_periods.value_stream,
        flow_item_types.flow_item_type,
        int_metrics_periods.period_start as day_date
    from int_metrics_periods
    cross join flow_item_types
    where int_metrics_periods.period_grain = 'day'

),

daily_loads as (

    select
        day_spine.value_stream,
        day_spine.flow_item_type,
        day_spine.day_date,
        sum(coalesce(daily_changes.active_change, 0)) over running_total as active_load,
        sum(coalesce(daily_changes.waiting_change, 0)) over running_total as waiting_load,
        sum(coalesce(daily_changes.distribution_change, 0)) over running_total as distribution_load
    from day_spine
    left join daily_changes
        on
            day_spine.value_stream = daily_changes.value_stream
            and day_spine.flow_item_type = daily_changes.flow_item_type
            and day_spine.day_date = daily_changes.day_date
    window running_total as (
        partition by day_spine.value_stream, day_spine.flow_item_type
        order by day_spine.day_date
        rows between unbounded preceding and current row
    )

),

final as (

    select
        value_stream,
        flow_item_type,
        day_date,
        cast(active_load + waiting_load as bigint) as flow_load,
        cast(active_load as bigint) as active_load,
        cast(waiting_load as bigint) as waiting_load,
        cast(distribution_load as bigint) as distribution_load
    from daily_loads

)

select * from final
