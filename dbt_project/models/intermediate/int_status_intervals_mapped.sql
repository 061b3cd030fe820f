with

int_status_intervals_built as (

    select * from {{ ref('int_status_intervals_built') }}

),

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

int_tool_states_mapped as (

    select * from {{ ref('int_tool_states_mapped') }}

),

int_resolution_changes_unioned as (

    select * from {{ ref('int_resolution_changes_unioned') }}

),

resolution_changes_ordered as (

    select
        source,
        item_id,
        change_id,
        changed_at,
        from_resolution,
        to_resolution,
        row_number() over (
            partition by source, item_id
            order by changed_at asc, change_sequence asc, change_id asc
        ) as change_index
    from int_resolution_changes_unioned

),

initial_resolutions as (

    select
        int_work_items_typed.source,
        int_work_items_typed.item_id,
        case
            when first_changes.change_id is not null then first_changes.from_resolution
            else int_work_items_typed.resolution
        end as resolution
    from int_work_items_typed
    left join resolution_changes_ordered as first_changes
        on
            int_work_items_typed.source = first_changes.source
            and int_work_items_typed.item_id = first_changes.item_id
            and first_changes.change_index = 1

),

resolution_changes_before_entry as (

    select
        int_status_intervals_built.source,
        int_status_intervals_built.item_id,
        int_status_intervals_built.stay_index,
        resolution_changes_ordered.to_resolution,
        row_number() over (
            partition by
                int_status_intervals_built.source,
                int_status_intervals_built.item_id,
                int_status_intervals_built.stay_index
            order by resolution_changes_ordered.change_index desc
        ) as recency_rank
    from int_status_intervals_built
    inner join resolution_changes_ordered
        on
            int_status_intervals_built.source = resolution_changes_ordered.source
            and int_status_intervals_built.item_id = resolution_changes_ordered.item_id
            and int_status_intervals_built.entered_at >= resolution_changes_ordered.changed_at
            and resolution_changes_ordered.changed_at <= {{ as_of_timestamp() }}

),

intervals_with_resolution as (

    select
        int_status_intervals_built.*,
        case
            when resolution_changes_before_entry.stay_index is not null
                then resolution_changes_before_entry.to_resolution
            else initial_resolutions.resolution
        end as resolution_at_entry
    from int_status_intervals_built
    left join resolution_changes_before_entry
        on
            int_status_intervals_built.source = resolution_changes_before_entry.source
            and int_status_intervals_built.item_id = resolution_changes_before_entry.item_id
            and int_status_intervals_built.stay_index = resolution_changes_before_entry.stay_index
            and resolution_changes_before_entry.recency_rank = 1
    left join initial_resolutions
        on
            int_status_intervals_built.source = initial_resolutions.source
            and int_status_intervals_built.item_id = initial_resolutions.item_id

),

final as (

    select
        intervals_with_resolution.source,
        intervals_with_resolution.item_id,
        intervals_with_resolution.stay_index,
        intervals_with_resolution.tool_state,
        intervals_with_resolution.entered_at,
        intervals_with_resolution.exited_at,
        intervals_with_resolution.resolution_at_entry,
        int_tool_states_mapped.tool_state_category,
        case
            when
                int_tool_states_mapped.is_resolution_sensitive
                and {{ is_canceling_resolution('intervals_with_resolution.resolution_at_entry') }}
                then 'canceled'
            else int_tool_states_mapped.flow_state
        end as tool_state_flow_state,
        coalesce(int_tool_states_mapped.mapping_origin, 'unmapped') as mapping_origin
    from intervals_with_resolution
    inner join int_work_items_typed
        on
            intervals_with_resolution.source = int_work_items_typed.source
            and intervals_with_resolution.item_id = int_work_items_typed.item_id
    left join int_tool_states_mapped
        on
            int_work_items_typed.source = int_tool_states_mapped.source
            and int_work_items_typed.project_key = int_tool_states_mapped.project_key
            and int_work_items_typed.item_type = int_tool_states_mapped.item_type
            and intervals_with_resolution.tool_state = int_tool_states_mapped.tool_state

)

select * from final
