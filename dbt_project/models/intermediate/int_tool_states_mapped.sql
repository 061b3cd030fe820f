with

int_work_items_unioned as (

    select * from {{ ref('int_work_items_unioned') }}

),

int_status_changes_unioned as (

    select * from {{ ref('int_status_changes_unioned') }}

),

flow_state_mappings as (

    select * from {{ ref('flow_state_mappings') }}

),

transitions_in_use as (

    {# Each distinct transition per project and item type, from one pass over the status changes. #}
    select distinct
        int_work_items_unioned.source,
        int_work_items_unioned.project_key,
        int_work_items_unioned.item_type,
        int_status_changes_unioned.from_tool_state,
        int_status_changes_unioned.from_tool_state_category,
        int_status_changes_unioned.to_tool_state,
        int_status_changes_unioned.to_tool_state_category
    from int_status_changes_unioned
    inner join int_work_items_unioned
        on
            int_status_changes_unioned.source = int_work_items_unioned.source
            and int_status_changes_unioned.item_id = int_work_items_unioned.item_id

),

tool_states_in_use as (

    select
        source,
        project_key,
        item_type,
        current_tool_state as tool_state,
        current_tool_state_category as tool_state_category
    from int_work_items_unioned

    union all

    select
        source,
        project_key,
        item_type,
        from_tool_state as tool_state,
        from_tool_state_category as tool_state_category
    from transitions_in_use

    union all

    select
        source,
        project_key,
        item_type,
        to_tool_state as tool_state,
        to_tool_state_category as tool_state_category
    from transitions_in_use

),

tool_states_distinct as (

    select
        source,
        project_key,
        item_type,
        tool_state,
        max(tool_state_category) as tool_state_category
    from tool_states_in_use
    where tool_state is not null
    group by source, project_key, item_type, tool_state

),

explicit_mappings_ranked as (

    select
        tool_states_distinct.source,
        tool_states_distinct.project_key,
        tool_states_distinct.item_type,
        tool_states_distinct.tool_state,
        flow_state_mappings.flow_state,
        row_number() over (
            partition by
                tool_states_distinct.source,
                tool_states_distinct.project_key,
                tool_states_distinct.item_type,
                tool_states_distinct.tool_state
            order by
                case when flow_state_mappings.project_key is null then 1 else 0 end asc,
                case when flow_state_mappings.item_type is null then 1 else 0 end asc,
                flow_state_mappings.flow_state asc
        ) as specificity_rank
    from tool_states_distinct
    inner join flow_state_mappings
        on
            tool_states_distinct.source = flow_state_mappings.source
            and lower(trim(tool_states_distinct.tool_state)) = lower(trim(flow_state_mappings.tool_state))
            and (
                flow_state_mappings.project_key is null
                or tool_states_distinct.project_key = flow_state_mappings.project_key
            )
            and (
                flow_state_mappings.item_type is null
                or lower(trim(tool_states_distinct.item_type)) = lower(trim(flow_state_mappings.item_type))
            )

),

tool_states_with_default as (

    select
        tool_states_distinct.*,
        {{ default_flow_state('tool_states_distinct.tool_state', 'tool_states_distinct.tool_state_category') }}
            as default_flow_state,
        explicit_mappings_ranked.flow_state as explicit_flow_state
    from tool_states_distinct
    left join explicit_mappings_ranked
        on
            tool_states_distinct.source = explicit_mappings_ranked.source
            and tool_states_distinct.project_key = explicit_mappings_ranked.project_key
            and tool_states_distinct.item_type = explicit_mappings_ranked.item_type
            and tool_states_distinct.tool_state = explicit_mappings_ranked.tool_state
            and explicit_mappings_ranked.specificity_rank = 1

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'source', "'|'", 'project_key', "'|'", 'item_type', "'|'", 'tool_state'
        ])) }} as tool_state_mapping_id,
        source,
        project_key,
        item_type,
        tool_state,
        tool_state_category,
        coalesce(explicit_flow_state, default_flow_state) as flow_state,
        case
            when explicit_flow_state is not null then 'explicit'
            when default_flow_state is not null then 'default'
            else 'unmapped'
        end as mapping_origin,
        coalesce(
            explicit_flow_state is null and tool_state_category = 'done' and default_flow_state = 'done', false
        ) as is_resolution_sensitive
    from tool_states_with_default

)

select * from final
