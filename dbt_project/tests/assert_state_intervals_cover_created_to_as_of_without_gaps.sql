-- Spec section 7: the intervals of one item never overlap and cover [created_at, as-of) without gaps.
-- Returns one row per violation: a first interval not starting at created_at, an interval whose exit is not
-- the next interval's entry, a current interval that is not the last one, or an item without intervals.
-- Shown in Dagster as an asset check on the model it judges.
{{ config(meta={'dagster': {'ref': {'name': 'fct_state_intervals'}}}) }}

with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

intervals_with_next as (

    -- One window per item, in entry order: the next entry and the position (the first interval is 1).
    select
        source,
        item_id,
        interval_index,
        entered_at,
        exited_at,
        lead(entered_at) over item_intervals as next_entered_at,
        row_number() over item_intervals as position_in_item
    from fct_state_intervals
    window item_intervals as (partition by source, item_id order by entered_at asc)

),

violations as (

    select
        intervals_with_next.source,
        intervals_with_next.item_id,
        intervals_with_next.interval_index,
        case
            when
                intervals_with_next.position_in_item = 1
                and intervals_with_next.entered_at <> fct_flow_items.created_at
                then 'first interval does not start at created_at'
            when intervals_with_next.next_entered_at is null and intervals_with_next.exited_at is not null
                then 'last interval is not current'
            when intervals_with_next.next_entered_at is not null and intervals_with_next.exited_at is null
                then 'current interval is not the last one'
            when intervals_with_next.next_entered_at <> intervals_with_next.exited_at
                then 'gap or overlap with the next interval'
            when intervals_with_next.exited_at <= intervals_with_next.entered_at
                then 'interval does not move forward in time'
            when intervals_with_next.entered_at > {{ as_of_timestamp() }}
                then 'interval starts after as-of'
            when intervals_with_next.interval_index <> intervals_with_next.position_in_item
                then 'interval_index out of order'
        end as violation
    from intervals_with_next
    inner join fct_flow_items
        on
            intervals_with_next.source = fct_flow_items.source
            and intervals_with_next.item_id = fct_flow_items.item_id

    union all

    select
        fct_flow_items.source,
        fct_flow_items.item_id,
        null as interval_index,
        'item without intervals' as violation
    from fct_flow_items
    left join fct_state_intervals
        on
            fct_flow_items.source = fct_state_intervals.source
            and fct_flow_items.item_id = fct_state_intervals.item_id
    where fct_state_intervals.item_id is null

),

final as (

    select *
    from violations
    where violation is not null

)

select * from final
