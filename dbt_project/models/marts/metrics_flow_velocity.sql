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

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

counted_items as (

    select
        source,
        item_id
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and not is_canceled

),

{# A flow-state change into done is a completion (the first interval of an item created done has no
    previous state, so it counts once at creation); a change out of done, to any state, is a reopen.
    Done -> Closed (both done) and flag splits inside done are neither. #}
done_transitions as (

    select
        fct_state_intervals.value_stream,
        fct_state_intervals.flow_item_type,
        fct_state_intervals.entered_date as day_date,
        case
            when
                fct_state_intervals.flow_state = 'done'
                and coalesce(fct_state_intervals.previous_flow_state, '') != 'done'
                then 1
            else 0
        end as completed,
        case
            when
                fct_state_intervals.previous_flow_state = 'done'
                and coalesce(fct_state_intervals.flow_state, '') != 'done'
                then 1
            else 0
        end as reopened
    from fct_state_intervals
    inner join counted_items
        on
            fct_state_intervals.source = counted_items.source
            and fct_state_intervals.item_id = counted_items.item_id
    where
        (fct_state_intervals.flow_state = 'done' or fct_state_intervals.previous_flow_state = 'done')
        and fct_state_intervals.entered_at <= {{ as_of_timestamp() }}

),

daily_transitions as (

    select
        value_stream,
        flow_item_type,
        day_date,
        sum(completed) as completed,
        sum(reopened) as reopened
    from done_transitions
    group by
        value_stream,
        flow_item_type,
        day_date

),

period_transitions as (

    select
        int_metrics_calendar.period_grain,
        int_metrics_calendar.period_start,
        case
            when grouping(daily_transitions.value_stream) = 1 then 'all' else daily_transitions.value_stream
        end as value_stream,
        case
            when grouping(daily_transitions.flow_item_type) = 1 then 'all' else daily_transitions.flow_item_type
        end as flow_item_type,
        sum(daily_transitions.completed) as completed,
        sum(daily_transitions.reopened) as reopened
    from daily_transitions
    inner join int_metrics_calendar
        on daily_transitions.day_date = int_metrics_calendar.day_date
    group by
        cube(daily_transitions.value_stream, daily_transitions.flow_item_type),
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
        cast(coalesce(period_transitions.completed, 0) as bigint) as completed,
        cast(coalesce(period_transitions.reopened, 0) as bigint) as reopened,
        cast(coalesce(period_transitions.completed, 0) - coalesce(period_transitions.reopened, 0) as bigint)
            as flow_velocity
    from int_metrics_periods
    cross join flow_item_types
    left join period_transitions
        on
            int_metrics_periods.value_stream = period_transitions.value_stream
            and flow_item_types.flow_item_type = period_transitions.flow_item_type
            and int_metrics_periods.period_grain = period_transitions.period_grain
            and int_metrics_periods.period_start = period_transitions.period_start

)

select * from final
