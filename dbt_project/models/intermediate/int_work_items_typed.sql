with

int_work_items_unioned as (

    select * from {{ ref('int_work_items_unioned') }}

),

int_work_item_labels_unioned as (

    select * from {{ ref('int_work_item_labels_unioned') }}

),

int_work_item_field_values_unioned as (

    select * from {{ ref('int_work_item_field_values_unioned') }}

),

flow_item_type_mappings as (

    select * from {{ ref('flow_item_type_mappings') }}

),

value_stream_scopes as (

    select * from {{ ref('value_stream_scopes') }}

),

work_items_as_of as (

    select *
    from int_work_items_unioned
    where created_at <= {{ as_of_timestamp() }}

),

{# Overrides (spec section 2: labels or fields may override the type). A label row matches an item carrying the
   label, a field row an item whose field (by name or id) holds the value, both case-insensitively. The most
   specific row wins: limited to the item's project, then to its item type, then a field row over a label row
   (a field is a deliberate classification, a label often an ad-hoc one), then by the matched value's name. #}
item_override_values as (

    select
        int_work_item_labels_unioned.source,
        int_work_item_labels_unioned.item_id,
        'label' as override_origin,
        2 as override_kind_rank,
        cast(null as {{ dbt.type_string() }}) as field_name,
        cast(null as {{ dbt.type_string() }}) as field_id,
        int_work_item_labels_unioned.label_name as override_value
    from int_work_item_labels_unioned

    union all

    select
        int_work_item_field_values_unioned.source,
        int_work_item_field_values_unioned.item_id,
        'field' as override_origin,
        1 as override_kind_rank,
        int_work_item_field_values_unioned.field_name,
        int_work_item_field_values_unioned.field_id,
        int_work_item_field_values_unioned.field_value as override_value
    from int_work_item_field_values_unioned

),

overrides as (

    select
        work_items_as_of.source,
        work_items_as_of.item_id,
        flow_item_type_mappings.flow_item_type,
        flow_item_type_mappings.project_key,
        flow_item_type_mappings.item_type,
        item_override_values.override_origin,
        item_override_values.override_kind_rank,
        lower(item_override_values.override_value) as matched_value
    from work_items_as_of
    inner join item_override_values
        on
            work_items_as_of.source = item_override_values.source
            and work_items_as_of.item_id = item_override_values.item_id
    inner join flow_item_type_mappings
        on
            work_items_as_of.source = flow_item_type_mappings.source
            -- a label row names a label, a field row a field and its value (a row naming both fails a data test)
            and lower(trim(item_override_values.override_value))
            = lower(trim(coalesce(flow_item_type_mappings.label, flow_item_type_mappings.field_value)))
            and (
                (
                    item_override_values.override_origin = 'label'
                    and flow_item_type_mappings.label is not null
                    and flow_item_type_mappings.field is null
                )
                or (
                    item_override_values.override_origin = 'field'
                    and flow_item_type_mappings.label is null
                    and (
                        lower(trim(flow_item_type_mappings.field)) = lower(trim(item_override_values.field_name))
                        or lower(trim(flow_item_type_mappings.field)) = lower(item_override_values.field_id)
                    )
                )
            )
            and (
                flow_item_type_mappings.project_key is null
                or work_items_as_of.project_key = flow_item_type_mappings.project_key
            )
            and (
                flow_item_type_mappings.item_type is null
                or lower(trim(work_items_as_of.item_type)) = lower(trim(flow_item_type_mappings.item_type))
            )

),

overrides_ranked as (

    select
        overrides.source,
        overrides.item_id,
        overrides.flow_item_type,
        overrides.override_origin,
        row_number() over (
            partition by overrides.source, overrides.item_id
            order by
                case when overrides.project_key is null then 1 else 0 end asc,
                case when overrides.item_type is null then 1 else 0 end asc,
                overrides.override_kind_rank asc,
                {{ text_in_byte_order('overrides.matched_value') }} asc,
                overrides.flow_item_type asc
        ) as override_rank
    from overrides

),

type_mappings_ranked as (

    select
        work_items_as_of.source,
        work_items_as_of.item_id,
        flow_item_type_mappings.flow_item_type,
        row_number() over (
            partition by work_items_as_of.source, work_items_as_of.item_id
            order by
                case when flow_item_type_mappings.project_key is null then 1 else 0 end asc,
                flow_item_type_mappings.flow_item_type asc
        ) as mapping_rank
    from work_items_as_of
    inner join flow_item_type_mappings
        on
            work_items_as_of.source = flow_item_type_mappings.source
            and lower(trim(work_items_as_of.item_type)) = lower(trim(flow_item_type_mappings.item_type))
            and (
                flow_item_type_mappings.project_key is null
                or work_items_as_of.project_key = flow_item_type_mappings.project_key
            )
    where flow_item_type_mappings.label is null and flow_item_type_mappings.field is null

),

work_items_with_flow_item_type as (

    select
        work_items_as_of.*,
        coalesce(
            overrides_ranked.flow_item_type,
            type_mappings_ranked.flow_item_type,
            {{ default_flow_item_type('work_items_as_of.item_type') }}
        ) as flow_item_type,
        case
            when overrides_ranked.flow_item_type is not null then overrides_ranked.override_origin
            when type_mappings_ranked.flow_item_type is not null then 'explicit'
            when {{ default_flow_item_type('work_items_as_of.item_type') }} is not null then 'default'
            else 'unmapped'
        end as item_type_mapping_origin
    from work_items_as_of
    left join overrides_ranked
        on
            work_items_as_of.source = overrides_ranked.source
            and work_items_as_of.item_id = overrides_ranked.item_id
            and overrides_ranked.override_rank = 1
    left join type_mappings_ranked
        on
            work_items_as_of.source = type_mappings_ranked.source
            and work_items_as_of.item_id = type_mappings_ranked.item_id
            and type_mappings_ranked.mapping_rank = 1

),

{# Spec section 1: a value stream is a set of scopes, a project optionally narrowed by a component or a label
   (case-insensitive). An item takes the most specific scope it matches (component and label, then either, then
   the project alone); between equally specific ones, the first value stream by name. #}
value_stream_scopes_matched as (

    select
        work_items_with_flow_item_type.source,
        work_items_with_flow_item_type.item_id,
        value_stream_scopes.value_stream,
        value_stream_scopes.portfolio,
        row_number() over (
            partition by work_items_with_flow_item_type.source, work_items_with_flow_item_type.item_id
            order by
                case when value_stream_scopes.component is null then 0 else 1 end
                + case when value_stream_scopes.label is null then 0 else 1 end desc,
                {{ text_in_byte_order('value_stream_scopes.value_stream') }} asc,
                {{ text_in_byte_order('value_stream_scopes.portfolio') }} asc
        ) as scope_rank
    from work_items_with_flow_item_type
    inner join value_stream_scopes
        on
            work_items_with_flow_item_type.source = value_stream_scopes.source
            and work_items_with_flow_item_type.project_key = value_stream_scopes.project_key
    where
        (
            value_stream_scopes.component is null
            or {{ json_text_array_has('work_items_with_flow_item_type.components', 'value_stream_scopes.component') }}
        )
        and (
            value_stream_scopes.label is null
            or {{ json_text_array_has('work_items_with_flow_item_type.labels', 'value_stream_scopes.label') }}
        )

),

final as (

    select
        work_items_with_flow_item_type.source,
        work_items_with_flow_item_type.item_id,
        work_items_with_flow_item_type.item_key,
        work_items_with_flow_item_type.item_url,
        work_items_with_flow_item_type.project_key,
        work_items_with_flow_item_type.item_type,
        work_items_with_flow_item_type.flow_item_type,
        work_items_with_flow_item_type.item_type_mapping_origin,
        work_items_with_flow_item_type.labels,
        work_items_with_flow_item_type.parent_key,
        work_items_with_flow_item_type.created_at,
        work_items_with_flow_item_type.updated_at,
        work_items_with_flow_item_type.current_tool_state,
        work_items_with_flow_item_type.current_tool_state_category,
        work_items_with_flow_item_type.resolution,
        work_items_with_flow_item_type.is_flagged_now,
        work_items_with_flow_item_type.history_reported_count,
        work_items_with_flow_item_type.history_loaded_count,
        work_items_with_flow_item_type.flow_item_type is not null as is_item_type_mapped,
        coalesce(
            work_items_with_flow_item_type.flow_item_type in ('feature', 'defect', 'risk', 'debt'), false
        ) as is_flow_item,
        coalesce(value_stream_scopes_matched.value_stream, work_items_with_flow_item_type.project_key)
            as value_stream,
        coalesce(value_stream_scopes_matched.portfolio, 'default') as portfolio
    from work_items_with_flow_item_type
    left join value_stream_scopes_matched
        on
            work_items_with_flow_item_type.source = value_stream_scopes_matched.source
            and work_items_with_flow_item_type.item_id = value_stream_scopes_matched.item_id
            and value_stream_scopes_matched.scope_rank = 1

)

select * from final
