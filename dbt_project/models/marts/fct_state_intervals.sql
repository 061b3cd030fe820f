with

int_state_intervals_flag_split as (

    select * from {{ ref('int_state_intervals_flag_split') }}

),

int_work_items_typed as (

    select * from {{ ref('int_work_items_typed') }}

),

final as (

    select
        int_state_intervals_flag_split.source,
        int_state_intervals_flag_split.item_id,
        int_work_items_typed.item_key,
        int_work_items_typed.value_stream,
        int_work_items_typed.portfolio,
        int_work_items_typed.project_key,
        int_work_items_typed.item_type,
        int_work_items_typed.flow_item_type,
        int_work_items_typed.is_flow_item,
        int_state_intervals_flag_split.interval_index,
        int_state_intervals_flag_split.tool_state,
        int_state_intervals_flag_split.tool_state_flow_state,
        int_state_intervals_flag_split.flow_state,
        int_state_intervals_flag_split.previous_flow_state,
        int_state_intervals_flag_split.mapping_origin,
        int_state_intervals_flag_split.tool_state_flow_state is not null as is_state_mapped,
        int_state_intervals_flag_split.is_flagged,
        int_state_intervals_flag_split.tool_state_entered_at,
        int_state_intervals_flag_split.entered_at,
        int_state_intervals_flag_split.exited_at,
        int_state_intervals_flag_split.exited_at is null as is_current,
        -- The key hashes what makes an interval unique (section 7: no two start at once in one item).
        {{ dbt.hash(dbt.concat([
            'int_state_intervals_flag_split.source',
            "'|'",
            'int_state_intervals_flag_split.item_id',
            "'|'",
            'cast(int_state_intervals_flag_split.entered_at as ' ~ dbt.type_string() ~ ')'
        ])) }} as state_interval_id,
        {{ fractional_hours_between(
            'int_state_intervals_flag_split.entered_at',
            'coalesce(int_state_intervals_flag_split.exited_at, ' ~ as_of_timestamp() ~ ')'
        ) }} as duration_hours,
        cast({{ to_reporting_time_zone('int_state_intervals_flag_split.entered_at') }} as date) as entered_date
    from int_state_intervals_flag_split
    inner join int_work_items_typed
        on
            int_state_intervals_flag_split.source = int_work_items_typed.source
            and int_state_intervals_flag_split.item_id = int_work_items_typed.item_id

)

select * from final
