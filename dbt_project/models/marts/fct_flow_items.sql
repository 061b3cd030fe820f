with

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

business_holidays as (

    select * from {{ ref('business_holidays') }}

),

item_milestones as (

    select
        source,
        item_id,
        min(case when flow_state in ('waiting', 'active') then entered_at end) as work_started_at,
        max(
            case when flow_state = 'done' and previous_flow_state is distinct from 'done' then entered_at end
        ) as last_done_entered_at,
        max(
            case
                when flow_state = 'canceled' and previous_flow_state is distinct from 'canceled' then entered_at
            end
        ) as last_canceled_entered_at,
        sum(
            case when previous_flow_state = 'done' and flow_state is distinct from 'done' then 1 else 0 end
        ) as reopened_count
    from fct_state_intervals
    group by source, item_id

),

current_intervals as (

    select
        source,
        item_id,
        tool_state as current_tool_state,
        flow_state as current_flow_state,
        tool_state_entered_at as current_state_entered_at,
        is_flagged
    from fct_state_intervals
    where is_current

),

items_with_milestones as (

    select
        int_work_items_typed.source,
        int_work_items_typed.item_id,
        int_work_items_typed.created_at,
        item_milestones.work_started_at,
        current_intervals.current_tool_state,
        current_intervals.current_flow_state,
        current_intervals.current_state_entered_at,
        cast(coalesce(item_milestones.reopened_count, 0) as integer) as reopened_count,
        case
            when current_intervals.current_flow_state = 'done' then item_milestones.last_done_entered_at
        end as completed_at,
        case
            when current_intervals.current_flow_state = 'canceled' then item_milestones.last_canceled_entered_at
        end as canceled_at,
        coalesce(current_intervals.is_flagged, false) as is_flagged
    from int_work_items_typed
    left join item_milestones
        on
            int_work_items_typed.source = item_milestones.source
            and int_work_items_typed.item_id = item_milestones.item_id
    left join current_intervals
        on
            int_work_items_typed.source = current_intervals.source
            and int_work_items_typed.item_id = current_intervals.item_id

),

flow_windows as (

    select
        source,
        item_id,
        work_started_at,
        completed_at,
        cast({{ to_reporting_time_zone('work_started_at') }} as {{ dbt.type_timestamp() }}) as work_started_local_at,
        cast({{ to_reporting_time_zone('completed_at') }} as {{ dbt.type_timestamp() }}) as completed_local_at
    from items_with_milestones
    where work_started_at is not null and completed_at is not null

),

active_time as (

    select
        flow_windows.source,
        flow_windows.item_id,
        -- Whole milliseconds, summed exactly: the pieces lie inside the window, so their sum never exceeds
        -- the flow time's milliseconds, and wait time and efficiency stay within [0, flow time] and [0, 1].
        sum(
            {{ dbt.datediff(
                'case when fct_state_intervals.entered_at > flow_windows.work_started_at'
                ~ ' then fct_state_intervals.entered_at else flow_windows.work_started_at end',
                'case when fct_state_intervals.exited_at is null'
                ~ ' or fct_state_intervals.exited_at > flow_windows.completed_at'
                ~ ' then flow_windows.completed_at else fct_state_intervals.exited_at end',
                'millisecond'
            ) }}
        ) as active_time_milliseconds
    from flow_windows
    inner join fct_state_intervals
        on
            flow_windows.source = fct_state_intervals.source
            and flow_windows.item_id = fct_state_intervals.item_id
            and fct_state_intervals.flow_state = 'active'
            and flow_windows.completed_at > fct_state_intervals.entered_at
            and (
                fct_state_intervals.exited_at is null
                or flow_windows.work_started_at < fct_state_intervals.exited_at
            )
    group by flow_windows.source, flow_windows.item_id

),

flow_window_days as (

    select
        source,
        item_id,
        work_started_local_at,
        completed_local_at,
        cast(work_started_local_at as date) as work_started_local_date,
        cast(completed_local_at as date) as completed_local_date
    from flow_windows

),

flow_window_day_parts as (

    select
        source,
        item_id,
        work_started_local_date,
        completed_local_date,
        {{ weekdays_before('work_started_local_date') }} as weekdays_before_start,
        {{ weekdays_before('completed_local_date') }} as weekdays_before_end,
        {{ is_weekday('work_started_local_date') }} as is_start_weekday,
        {{ is_weekday('completed_local_date') }} as is_end_weekday,
        {{ fractional_days_between(
            'cast(work_started_local_date as ' ~ dbt.type_timestamp() ~ ')', 'work_started_local_at'
        ) }} as start_day_elapsed_days,
        {{ fractional_days_between(
            'cast(completed_local_date as ' ~ dbt.type_timestamp() ~ ')', 'completed_local_at'
        ) }} as end_day_elapsed_days
    from flow_window_days

),

weekday_holidays as (

    select holiday_date
    from business_holidays
    where {{ is_weekday('holiday_date') }}

),

window_holidays as (

    select
        flow_window_day_parts.source,
        flow_window_day_parts.item_id,
        count(weekday_holidays.holiday_date) as holidays_in_window,
        sum(
            case when weekday_holidays.holiday_date = flow_window_day_parts.work_started_local_date then 1 else 0 end
        ) as start_holidays,
        sum(
            case when weekday_holidays.holiday_date = flow_window_day_parts.completed_local_date then 1 else 0 end
        ) as end_holidays
    from flow_window_day_parts
    inner join weekday_holidays
        on
            flow_window_day_parts.work_started_local_date <= weekday_holidays.holiday_date
            and flow_window_day_parts.completed_local_date >= weekday_holidays.holiday_date
    group by flow_window_day_parts.source, flow_window_day_parts.item_id

),

business_time as (

    -- Business time between two instants = B(end) - B(start), where B(t) counts the Monday-to-Friday,
    -- non-holiday days before t's local date plus the elapsed part of t's own day when it is a business day.
    select
        flow_window_day_parts.source,
        flow_window_day_parts.item_id,
        flow_window_day_parts.weekdays_before_end
        - flow_window_day_parts.weekdays_before_start
        - (coalesce(window_holidays.holidays_in_window, 0) - coalesce(window_holidays.end_holidays, 0))
        + case
            when flow_window_day_parts.is_end_weekday and coalesce(window_holidays.end_holidays, 0) = 0
                then flow_window_day_parts.end_day_elapsed_days
            else 0
        end
        - case
            when flow_window_day_parts.is_start_weekday and coalesce(window_holidays.start_holidays, 0) = 0
                then flow_window_day_parts.start_day_elapsed_days
            else 0
        end as flow_time_business_days
    from flow_window_day_parts
    left join window_holidays
        on
            flow_window_day_parts.source = window_holidays.source
            and flow_window_day_parts.item_id = window_holidays.item_id

),

final as (

    select
        {{ dbt.hash(dbt.concat(['int_work_items_typed.source', "'|'", 'int_work_items_typed.item_id'])) }}
            as flow_item_id,
        int_work_items_typed.source,
        int_work_items_typed.item_id,
        int_work_items_typed.item_key,
        int_work_items_typed.item_url,
        int_work_items_typed.item_type,
        int_work_items_typed.flow_item_type,
        int_work_items_typed.is_item_type_mapped,
        int_work_items_typed.is_flow_item,
        int_work_items_typed.value_stream,
        int_work_items_typed.portfolio,
        int_work_items_typed.project_key,
        int_work_items_typed.labels,
        int_work_items_typed.parent_key,
        int_work_items_typed.created_at,
        items_with_milestones.work_started_at,
        items_with_milestones.completed_at,
        items_with_milestones.canceled_at,
        case
            when items_with_milestones.work_started_at is not null and items_with_milestones.completed_at is not null
                then {{ fractional_days_between(
                    'items_with_milestones.work_started_at', 'items_with_milestones.completed_at'
                ) }}
        end as flow_time_days,
        business_time.flow_time_business_days,
        case
            when business_time.item_id is not null
                then {{ days_from_milliseconds('coalesce(active_time.active_time_milliseconds, 0)') }}
        end as active_time_days,
        case
            when business_time.item_id is not null
                then {{ days_from_milliseconds(
                    dbt.datediff(
                        'items_with_milestones.work_started_at', 'items_with_milestones.completed_at', 'millisecond'
                    ) ~ ' - coalesce(active_time.active_time_milliseconds, 0)'
                ) }}
        end as wait_time_days,
        case
            when items_with_milestones.completed_at > items_with_milestones.work_started_at
                then
                    cast(coalesce(active_time.active_time_milliseconds, 0) as {{ metrics_type_double() }})
                    / {{ dbt.datediff(
                        'items_with_milestones.work_started_at', 'items_with_milestones.completed_at', 'millisecond'
                    ) }}
        end as flow_efficiency,
        items_with_milestones.reopened_count,
        items_with_milestones.current_tool_state,
        items_with_milestones.current_flow_state,
        items_with_milestones.current_state_entered_at,
        {{ fractional_days_between('items_with_milestones.current_state_entered_at', as_of_timestamp()) }}
            as time_in_current_state_days,
        items_with_milestones.is_flagged,
        coalesce(items_with_milestones.current_flow_state = 'done', false) as is_done,
        coalesce(items_with_milestones.current_flow_state = 'canceled', false) as is_canceled,
        case
            when
                items_with_milestones.work_started_at is not null
                and coalesce(items_with_milestones.current_flow_state, 'unmapped') not in ('done', 'canceled')
                then {{ fractional_days_between('items_with_milestones.work_started_at', as_of_timestamp()) }}
        end as age_days,
        int_work_items_typed.history_reported_count,
        int_work_items_typed.history_loaded_count
    from int_work_items_typed
    inner join items_with_milestones
        on
            int_work_items_typed.source = items_with_milestones.source
            and int_work_items_typed.item_id = items_with_milestones.item_id
    left join active_time
        on
            int_work_items_typed.source = active_time.source
            and int_work_items_typed.item_id = active_time.item_id
    left join business_time
        on
            int_work_items_typed.source = business_time.source
            and int_work_items_typed.item_id = business_time.item_id

)

select * from final
