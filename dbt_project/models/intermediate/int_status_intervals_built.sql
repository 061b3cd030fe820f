-- Each item's stays in one tool state, straight from its status changes (spec section 3). The changes'
-- data-quality flags are int_status_changes_sequenced's; this model needs only their order, so it does not
-- wait for that table: one window orders the creation and the changes, two more merge what the spec merges.
with

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

int_status_changes_unioned as (

    select * from {{ ref('int_status_changes_unioned') }}

),

-- An item's history as points: its creation (point_kind 0, in its current state for now), then each change
-- into its `to` state. The creation sorts first, so the window below finds the creation time and the
-- first change's `from` on neighbouring rows, with no join.
state_points as (

    select
        source,
        item_id,
        0 as point_kind,
        created_at as changed_at,
        cast(null as {{ dbt.type_bigint() }}) as change_sequence,
        cast(null as {{ dbt.type_string() }}) as from_tool_state,
        current_tool_state as tool_state
    from int_work_items_typed

    union all

    select
        source,
        item_id,
        1 as point_kind,
        changed_at,
        change_sequence,
        from_tool_state,
        to_tool_state as tool_state
    from int_status_changes_unioned

),

state_points_ordered as (

    select
        source,
        item_id,
        point_kind,
        changed_at,
        -- An explicit frame: BigQuery refuses `nulls last` in the default (range) frame.
        first_value(point_kind) over (item_points rows between unbounded preceding and current row)
            as first_point_kind,
        first_value(changed_at) over (item_points rows between unbounded preceding and current row)
            as created_at,
        -- The state before the first change is that change's `from` (even when the change comes after
        -- as-of); an item with no change stays in its current state.
        case
            when point_kind = 0 and lead(point_kind) over item_points = 1
                then lead(from_tool_state) over item_points
            else tool_state
        end as tool_state,
        lead(changed_at) over item_points as next_changed_at
    from state_points
    window item_points as (
        partition by source, item_id
        order by point_kind asc, {{ status_change_order() }}
    )

),

-- A change before the item's creation takes effect at creation. Clamping keeps the order above: the
-- creation is first and the changes' times only rise. Changes after as-of have not happened yet: they come
-- last in the order and enter after every point kept (a work item is created by as-of), so they never share
-- a kept point's instant. Changes of an item that is not a work item (created after as-of, or without its
-- issue row) have no creation point and are left out.
state_points_effective as (

    select
        source,
        item_id,
        tool_state,
        case when changed_at < created_at then created_at else changed_at end as entered_at,
        case when next_changed_at < created_at then created_at else next_changed_at end as next_entered_at
    from state_points_ordered
    where
        first_point_kind = 0
        and (point_kind = 0 or changed_at <= {{ as_of_timestamp() }})

),

-- At one instant the last point wins (spec 3: same-instant changes): a point is the last of its instant
-- when no point follows it, or the next one enters later.
instant_points as (

    select
        source,
        item_id,
        entered_at,
        tool_state,
        lag(tool_state) over item_instants as previous_tool_state,
        row_number() over item_instants as instant_rank
    from state_points_effective
    where next_entered_at is null or next_entered_at > entered_at
    window item_instants as (partition by source, item_id order by entered_at asc)

),

-- Consecutive points in the same tool state are one stay.
stay_starts as (

    select
        source,
        item_id,
        entered_at,
        tool_state
    from instant_points
    where instant_rank = 1 or tool_state is distinct from previous_tool_state

),

final as (

    select
        source,
        item_id,
        tool_state,
        entered_at,
        row_number() over item_stays as stay_index,
        lead(entered_at) over item_stays as exited_at
    from stay_starts
    window item_stays as (partition by source, item_id order by entered_at asc)

)

select * from final
