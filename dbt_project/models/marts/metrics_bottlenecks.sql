with

int_metrics_item_state_days as (

    select * from {{ ref('int_metrics_item_state_days') }}

),

int_metrics_state_period_medians as (

    select * from {{ ref('int_metrics_state_period_medians') }}

),

int_metrics_daily_tool_state_items as (

    select * from {{ ref('int_metrics_daily_tool_state_items') }}

),

int_metrics_tool_states as (

    select * from {{ ref('int_metrics_tool_states') }}

),

int_metrics_periods as (

    select * from {{ ref('int_metrics_periods') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

period_hour_totals as (

    select
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        case
            when grouping(int_metrics_item_state_days.value_stream) = 1 then 'all'
            else int_metrics_item_state_days.value_stream
        end as value_stream,
        sum(cast(int_metrics_item_state_days.hours as {{ metrics_exact_decimal() }})) as total_hours,
        sum(cast(int_metrics_item_state_days.waiting_hours as {{ metrics_exact_decimal() }})) as waiting_hours
    from int_metrics_item_state_days
    inner join int_metrics_calendar
        on int_metrics_item_state_days.day_date = int_metrics_calendar.day_date
    group by
        rollup(int_metrics_item_state_days.value_stream),
        int_metrics_item_state_days.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

),

period_hours as (

    select
        period_hour_totals.value_stream,
        period_hour_totals.tool_state,
        period_hour_totals.period_grain,
        period_hour_totals.period_start,
        period_hour_totals.total_hours,
        period_hour_totals.waiting_hours,
        int_metrics_state_period_medians.median_hours
    from period_hour_totals
    left join int_metrics_state_period_medians
        on
            period_hour_totals.value_stream = int_metrics_state_period_medians.value_stream
            and period_hour_totals.tool_state = int_metrics_state_period_medians.tool_state
            and period_hour_totals.period_grain = int_metrics_state_period_medians.period_grain
            and period_hour_totals.period_start = int_metrics_state_period_medians.period_start

),

period_daily_items as (

    select
        int_metrics_daily_tool_state_items.value_stream,
        int_metrics_daily_tool_state_items.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        max(int_metrics_daily_tool_state_items.items) as max_daily_items
    from int_metrics_daily_tool_state_items
    inner join int_metrics_calendar
        on int_metrics_daily_tool_state_items.day_date = int_metrics_calendar.day_date
    group by
        int_metrics_daily_tool_state_items.value_stream,
        int_metrics_daily_tool_state_items.tool_state,
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start

),

state_periods as (

    select
        int_metrics_periods.value_stream,
        int_metrics_periods.period_grain,
        int_metrics_periods.period_start,
        int_metrics_tool_states.tool_state,
        int_metrics_tool_states.flow_state,
        int_metrics_tool_states.items_now,
        coalesce(period_daily_items.max_daily_items, 0) as max_daily_items,
        {# Hours are measured for workflow states (mapped waiting or active) only. #}
        case
            when int_metrics_tool_states.flow_state in ('waiting', 'active')
                then coalesce(period_hours.total_hours, 0)
        end as total_hours,
        period_hours.median_hours,
        coalesce(period_hours.waiting_hours, 0) as waiting_hours
    from int_metrics_periods
    inner join int_metrics_tool_states
        on int_metrics_periods.value_stream = int_metrics_tool_states.value_stream
    left join period_hours
        on
            int_metrics_periods.value_stream = period_hours.value_stream
            and int_metrics_periods.period_grain = period_hours.period_grain
            and int_metrics_periods.period_start = period_hours.period_start
            and int_metrics_tool_states.tool_state = period_hours.tool_state
    left join period_daily_items
        on
            int_metrics_periods.value_stream = period_daily_items.value_stream
            and int_metrics_periods.period_grain = period_daily_items.period_grain
            and int_metrics_periods.period_start = period_daily_items.period_start
            and int_metrics_tool_states.tool_state = period_daily_items.tool_state

),

shares as (

    select
        value_stream,
        period_grain,
        period_start,
        tool_state,
        flow_state,
        items_now,
        max_daily_items,
        total_hours,
        median_hours,
        waiting_hours,
        waiting_hours / nullif(sum(waiting_hours) over value_stream_period, 0) as wait_share
    from state_periods
    window value_stream_period as (partition by value_stream, period_grain, period_start)

),

ranked as (

    select
        value_stream,
        period_grain,
        period_start,
        tool_state,
        flow_state,
        items_now,
        max_daily_items,
        total_hours,
        median_hours,
        waiting_hours,
        wait_share,
        row_number() over (
            partition by value_stream, period_grain, period_start
            order by
                case when flow_state = 'waiting' and wait_share > 0 then 0 else 1 end asc,
                wait_share desc nulls last,
                {{ text_in_byte_order('tool_state') }} asc
        ) as share_rank
    from shares

),

final as (

    select
        value_stream,
        period_grain,
        period_start,
        tool_state,
        flow_state,
        cast(items_now as bigint) as items_now,
        cast(max_daily_items as bigint) as max_daily_items,
        {{ metrics_round6('total_hours') }} as total_hours,
        {{ metrics_round6('median_hours') }} as median_hours,
        {{ metrics_round6('waiting_hours') }} as waiting_hours,
        {{ metrics_round6('wait_share') }} as wait_share,
        coalesce(share_rank = 1 and flow_state = 'waiting' and wait_share > 0, false) as is_bottleneck
    from ranked

)

select * from final
