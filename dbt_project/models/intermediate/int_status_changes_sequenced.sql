with

int_status_changes_unioned as (

    select * from {{ ref('int_status_changes_unioned') }}

),

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

status_changes_ordered as (

    select
        int_status_changes_unioned.source,
        int_status_changes_unioned.item_id,
        int_status_changes_unioned.change_id,
        int_status_changes_unioned.change_sequence,
        int_status_changes_unioned.changed_at,
        int_status_changes_unioned.from_tool_state,
        int_status_changes_unioned.to_tool_state,
        int_work_items_typed.created_at,
        row_number() over change_order as change_index,
        lag(int_status_changes_unioned.to_tool_state) over change_order as reconstructed_from_tool_state
    from int_status_changes_unioned
    inner join int_work_items_typed
        on
            int_status_changes_unioned.source = int_work_items_typed.source
            and int_status_changes_unioned.item_id = int_work_items_typed.item_id
    window change_order as (
        partition by int_status_changes_unioned.source, int_status_changes_unioned.item_id
        order by {{ status_change_order('int_status_changes_unioned') }}
    )

),

final as (

    select
        source,
        item_id,
        change_id,
        change_index,
        changed_at,
        from_tool_state,
        to_tool_state,
        reconstructed_from_tool_state,
        coalesce(
            change_index > 1 and from_tool_state is distinct from reconstructed_from_tool_state, false
        ) as is_inconsistent_transition,
        changed_at < created_at as is_before_creation
    from status_changes_ordered

)

select * from final
