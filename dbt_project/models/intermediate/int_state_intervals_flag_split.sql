with

int_status_intervals_mapped as (

    select * from {{ ref('int_status_intervals_mapped') }}

),

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

int_flag_changes_unioned as (

    select * from {{ ref('int_flag_changes_unioned') }}

),

flag_changes_ordered as (

    select
        int_flag_changes_unioned.source,
        int_flag_changes_unioned.item_id,
        int_flag_changes_unioned.changed_at,
        int_flag_changes_unioned.is_flagged_before,
        int_flag_changes_unioned.is_flagged_after,
        int_work_items_typed.created_at,
        row_number() over (
            partition by int_flag_changes_unioned.source, int_flag_changes_unioned.item_id
            order by
                int_flag_changes_unioned.changed_at asc,
                int_flag_changes_unioned.change_sequence asc,
                int_flag_changes_unioned.change_id asc
        ) as change_index
    from int_flag_changes_unioned
    inner join int_work_items_typed
        on
            int_flag_changes_unioned.source = int_work_items_typed.source
            and int_flag_changes_unioned.item_id = int_work_items_typed.item_id

),

initial_flag_points as (

    select
        int_work_items_typed.source,
        int_work_items_typed.item_id,
        int_work_items_typed.created_at as flagged_from,
        0 as point_index,
        case
            when first_changes.change_index is not null then first_changes.is_flagged_before
            else int_work_items_typed.is_flagged_now
        end as is_flagged
    from int_work_items_typed
    left join flag_changes_ordered as first_changes
        on
            int_work_items_typed.source = first_changes.source
            and int_work_items_typed.item_id = first_changes.item_id
            and first_changes.change_index = 1

),

change_flag_points as (

    select
        source,
        item_id,
        case when changed_at < created_at then created_at else changed_at end as flagged_from,
        change_index as point_index,
        is_flagged_after as is_flagged
    from flag_changes_ordered
    where changed_at <= {{ as_of_timestamp() }}

),

flag_points as (

    select * from initial_flag_points

    union all

    select * from change_flag_points

),

flag_points_last_per_instant as (

    select
        *,
        row_number() over (
            partition by source, item_id, flagged_from
            order by point_index desc
        ) as instant_rank
    from flag_points

),

flag_points_with_previous as (

    select
        source,
        item_id,
        flagged_from,
        is_flagged,
        lag(is_flagged) over item_flag_points as previous_is_flagged,
        row_number() over item_flag_points as point_rank
    from flag_points_last_per_instant
    where instant_rank = 1
    window item_flag_points as (partition by source, item_id order by flagged_from asc)

),

flag_periods as (

    select
        source,
        item_id,
        is_flagged,
        flagged_from,
        lead(flagged_from) over (partition by source, item_id order by flagged_from asc) as flagged_until
    from flag_points_with_previous
    where point_rank = 1 or is_flagged <> previous_is_flagged

),

intervals_split_by_flag as (

    select
        int_status_intervals_mapped.source,
        int_status_intervals_mapped.item_id,
        int_status_intervals_mapped.stay_index,
        int_status_intervals_mapped.tool_state,
        int_status_intervals_mapped.tool_state_category,
        int_status_intervals_mapped.tool_state_flow_state,
        int_status_intervals_mapped.mapping_origin,
        int_status_intervals_mapped.entered_at as tool_state_entered_at,
        flag_periods.is_flagged,
        case
            when flag_periods.flagged_from > int_status_intervals_mapped.entered_at
                then flag_periods.flagged_from
            else int_status_intervals_mapped.entered_at
        end as entered_at,
        case
            when int_status_intervals_mapped.exited_at is null then flag_periods.flagged_until
            when flag_periods.flagged_until is null then int_status_intervals_mapped.exited_at
            when flag_periods.flagged_until < int_status_intervals_mapped.exited_at
                then flag_periods.flagged_until
            else int_status_intervals_mapped.exited_at
        end as exited_at
    from int_status_intervals_mapped
    inner join flag_periods
        on
            int_status_intervals_mapped.source = flag_periods.source
            and int_status_intervals_mapped.item_id = flag_periods.item_id
            and (
                flag_periods.flagged_until is null
                or int_status_intervals_mapped.entered_at < flag_periods.flagged_until
            )
            and (
                int_status_intervals_mapped.exited_at is null
                or int_status_intervals_mapped.exited_at > flag_periods.flagged_from
            )

),

intervals_with_overlay as (

    select
        *,
        case
            when is_flagged and tool_state_flow_state = 'active' then 'waiting'
            else tool_state_flow_state
        end as flow_state
    from intervals_split_by_flag

),

final as (

    select
        source,
        item_id,
        stay_index,
        tool_state,
        tool_state_category,
        tool_state_flow_state,
        flow_state,
        mapping_origin,
        is_flagged,
        tool_state_entered_at,
        entered_at,
        exited_at,
        row_number() over item_intervals as interval_index,
        lag(flow_state) over item_intervals as previous_flow_state
    from intervals_with_overlay
    window item_intervals as (partition by source, item_id order by entered_at asc)

)

select * from final
