-- Spec section 7: active_time + wait_time = flow_time for every completed flow item, and both are backed by
-- the intervals: the intervals clipped to [work_started_at, completed_at] add up to the flow time, and their
-- active part is active_time_days (tolerance 1e-6 days).
-- Shown in Dagster as an asset check on the model it judges.
{{ config(meta={'dagster': {'ref': {'name': 'fct_flow_items'}}}) }}

with

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

completed_flow_items as (

    select *
    from fct_flow_items
    where
        is_flow_item
        and completed_at is not null
        and work_started_at is not null

),

clipped_intervals as (

    select
        completed_flow_items.source,
        completed_flow_items.item_id,
        fct_state_intervals.flow_state,
        {{ fractional_days_between(
            'case when fct_state_intervals.entered_at > completed_flow_items.work_started_at'
            ~ ' then fct_state_intervals.entered_at else completed_flow_items.work_started_at end',
            'case when fct_state_intervals.exited_at is null'
            ~ ' or fct_state_intervals.exited_at > completed_flow_items.completed_at'
            ~ ' then completed_flow_items.completed_at else fct_state_intervals.exited_at end'
        ) }} as clipped_days
    from completed_flow_items
    inner join fct_state_intervals
        on
            completed_flow_items.source = fct_state_intervals.source
            and completed_flow_items.item_id = fct_state_intervals.item_id
            and completed_flow_items.completed_at > fct_state_intervals.entered_at
            and (
                fct_state_intervals.exited_at is null
                or completed_flow_items.work_started_at < fct_state_intervals.exited_at
            )

),

interval_totals as (

    select
        source,
        item_id,
        sum(clipped_days) as window_days,
        sum(case when flow_state = 'active' then clipped_days else 0 end) as active_days
    from clipped_intervals
    group by source, item_id

),

final as (

    select
        completed_flow_items.source,
        completed_flow_items.item_id,
        completed_flow_items.flow_time_days,
        completed_flow_items.active_time_days,
        completed_flow_items.wait_time_days,
        interval_totals.window_days,
        interval_totals.active_days
    from completed_flow_items
    left join interval_totals
        on
            completed_flow_items.source = interval_totals.source
            and completed_flow_items.item_id = interval_totals.item_id
    where
        abs(
            completed_flow_items.active_time_days
            + completed_flow_items.wait_time_days
            - completed_flow_items.flow_time_days
        ) > 1e-6
        or abs(coalesce(interval_totals.window_days, 0) - completed_flow_items.flow_time_days) > 1e-6
        or abs(coalesce(interval_totals.active_days, 0) - completed_flow_items.active_time_days) > 1e-6

)

select * from final
