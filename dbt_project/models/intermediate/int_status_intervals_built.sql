with

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

-- Two imports of the changes, each read once: one shared CTE is materialised by DuckDB (12M rows at 1M
-- issues) before either reader filters it.
first_status_changes as (

    select * from {{ ref('int_status_changes_sequenced') }}
    where change_index = 1

),

status_changes_until_as_of as (

    select * from {{ ref('int_status_changes_sequenced') }}
    where not is_after_as_of

),

initial_state_points as (

    select
        int_work_items_typed.source,
        int_work_items_typed.item_id,
        int_work_items_typed.created_at as entered_at,
        0 as point_index,
        case
            when first_changes.change_id is not null then first_changes.from_tool_state
            else int_work_items_typed.current_tool_state
        end as tool_state
    from int_work_items_typed
    left join first_status_changes as first_changes
        on
            int_work_items_typed.source = first_changes.source
            and int_work_items_typed.item_id = first_changes.item_id

),

change_state_points as (

    select
        source,
        item_id,
        effective_at as entered_at,
        change_index as point_index,
        to_tool_state as tool_state
    from status_changes_until_as_of

),

state_points as (

    select * from initial_state_points

    union all

    select * from change_state_points

),

-- At one instant the last point wins (spec 3: same-instant changes). A point is the last of its instant
-- when the next point, in (entered_at, point_index) order, enters later: a window over the item, where a
-- ranking per (item, instant) became a 12M-group aggregate that spilled 2.5 GB at 1M issues.
state_points_with_next as (

    select
        *,
        lead(entered_at) over (
            partition by source, item_id
            order by entered_at asc, point_index asc
        ) as next_entered_at
    from state_points

),

state_points_with_previous as (

    select
        source,
        item_id,
        entered_at,
        tool_state,
        lag(tool_state) over item_points as previous_tool_state,
        row_number() over item_points as point_rank
    from state_points_with_next
    where next_entered_at is null or next_entered_at > entered_at
    window item_points as (partition by source, item_id order by entered_at asc)

),

stay_starts as (

    select
        source,
        item_id,
        entered_at,
        tool_state
    from state_points_with_previous
    where point_rank = 1 or tool_state is distinct from previous_tool_state

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
