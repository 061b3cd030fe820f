{%- set run_started = "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S') ~ "' as " ~ dbt.type_timestamp() ~ ")" -%}
{%- set flow_state_seed = 'dbt_project/seeds/flow_state_mappings.csv' -%}
{%- set item_type_seed = 'dbt_project/seeds/flow_item_type_mappings.csv' -%}

with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

int_status_changes_sequenced as (

    select * from {{ ref('int_status_changes_sequenced') }}

),

int_work_items_unioned as (

    select * from {{ ref('int_work_items_unioned') }}

),

int_flag_changes_unioned as (

    select * from {{ ref('int_flag_changes_unioned') }}

),

int_resolution_changes_unioned as (

    select * from {{ ref('int_resolution_changes_unioned') }}

),

int_metrics_dq_missing_wait_states as (

    select * from {{ ref('int_metrics_dq_missing_wait_states') }}

),

value_stream_scopes as (

    select * from {{ ref('value_stream_scopes') }}

),

-- The value stream a project maps to as a whole (the first by name, as for items), for an item created after
-- as-of: it has no flow item fact, where component and label scopes are judged.
project_value_streams as (

    select
        source,
        project_key,
        min(value_stream) as value_stream
    from value_stream_scopes
    where component is null and label is null
    group by source, project_key

),

-- unmapped_state: one finding per value stream, project and tool state, counting the items affected

unmapped_states as (

    select
        'unmapped_state' as check_name,
        'warn' as severity,
        value_stream,
        source,
        cast(null as {{ dbt.type_string() }}) as item_id,
        cast(null as {{ dbt.type_string() }}) as item_key,
        tool_state as subject,
        {{ dbt.concat([
            "'Tool state `'", "coalesce(tool_state, '(no state)')", "'` of '", 'source', "' project '",
            "coalesce(project_key, '(no project)')",
            "' (value stream `'", 'value_stream', "'`) maps to no flow state; '",
            'cast(count(distinct item_id) as ' ~ dbt.type_string() ~ ')',
            "' items were in it. Add a row `'", 'source', "','", "coalesce(project_key, '')", "',,'",
            "coalesce(tool_state, '<state>')",
            "',<new|waiting|active|done|canceled>` to " ~ flow_state_seed ~ ".'"
        ]) }} as message,
        cast(count(distinct item_id) as {{ metrics_type_double() }}) as observed_value,
        project_key
    from fct_state_intervals
    where
        not is_state_mapped
        and coalesce(flow_item_type, '') != 'none'
    group by value_stream, source, project_key, tool_state

),

-- unmapped_item_type: one finding per value stream, project and item type

unmapped_item_types as (

    select
        'unmapped_item_type' as check_name,
        'warn' as severity,
        value_stream,
        source,
        cast(null as {{ dbt.type_string() }}) as item_id,
        cast(null as {{ dbt.type_string() }}) as item_key,
        item_type as subject,
        {{ dbt.concat([
            "'Item type `'", "coalesce(item_type, '(no type)')", "'` of '", 'source', "' project '",
            "coalesce(project_key, '(no project)')",
            "' (value stream `'", 'value_stream', "'`) maps to no flow item type; '",
            'cast(count(*) as ' ~ dbt.type_string() ~ ')',
            "' items are left out of every metric. Add a row `'", 'source', "','", "coalesce(project_key, '')",
            "','", "coalesce(item_type, '<type>')", "',,,,<feature|defect|risk|debt|none>` to " ~ item_type_seed ~ ".'"
        ]) }} as message,
        cast(count(*) as {{ metrics_type_double() }}) as observed_value,
        project_key
    from fct_flow_items
    where not is_item_type_mapped
    group by value_stream, source, project_key, item_type

),

-- done_without_active and created_in_progress: one finding per flow item

item_paths as (

    select
        source,
        item_id,
        max(case when flow_state = 'active' then 1 else 0 end) as has_active_stay,
        {{ dbt.listagg(dbt.concat(["'`'", 'tool_state', "'`'"]), "' > '", 'order by interval_index') }}
            as tool_state_path
    from fct_state_intervals
    where flow_item_type in ({{ metrics_flow_item_types_sql() }})
    group by source, item_id

),

done_without_active as (

    select
        'done_without_active' as check_name,
        'warn' as severity,
        fct_flow_items.value_stream,
        fct_flow_items.source,
        fct_flow_items.item_id,
        fct_flow_items.item_key,
        fct_flow_items.current_tool_state as subject,
        {{ dbt.concat([
            "'`'", 'fct_flow_items.item_key', "'` reached done without an active stay (states: '",
            'item_paths.tool_state_path',
            "'), so it has no active time. If one of those states means someone works on the item, add a row `'",
            'fct_flow_items.source', "','", 'fct_flow_items.project_key',
            "',,<state>,active` to " ~ flow_state_seed ~ ".'"
        ]) }} as message,
        cast(fct_flow_items.flow_time_days as {{ metrics_type_double() }}) as observed_value,
        fct_flow_items.project_key
    from fct_flow_items
    inner join item_paths
        on
            fct_flow_items.source = item_paths.source
            and fct_flow_items.item_id = item_paths.item_id
    where
        fct_flow_items.is_done
        and item_paths.has_active_stay = 0

),

first_stays as (

    select
        source,
        item_id,
        project_key,
        tool_state,
        flow_state,
        entered_at
    from fct_state_intervals
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and interval_index = 1
        and flow_state in ('waiting', 'active')

),

created_in_progress as (

    select
        'created_in_progress' as check_name,
        'warn' as severity,
        fct_flow_items.value_stream,
        fct_flow_items.source,
        fct_flow_items.item_id,
        fct_flow_items.item_key,
        first_stays.tool_state as subject,
        {{ dbt.concat([
            "'`'", 'fct_flow_items.item_key', "'` was created directly in `'", 'first_stays.tool_state',
            "'` ('", 'first_stays.flow_state', "'), so its flow time starts at creation. If new work lands in `'",
            'first_stays.tool_state', "'` before anyone commits to it, add a row `'", 'first_stays.source', "','",
            'first_stays.project_key', "',,'", 'first_stays.tool_state', "',new` to " ~ flow_state_seed ~ ".'"
        ]) }} as message,
        cast(null as {{ metrics_type_double() }}) as observed_value,
        fct_flow_items.project_key
    from first_stays
    inner join fct_flow_items
        on
            first_stays.source = fct_flow_items.source
            and first_stays.item_id = fct_flow_items.item_id

),

-- incomplete_history: an error for the item, never a stop of the run

incomplete_history as (

    select
        'incomplete_history' as check_name,
        'error' as severity,
        value_stream,
        source,
        item_id,
        item_key,
        cast(null as {{ dbt.type_string() }}) as subject,
        {{ dbt.concat([
            "'`'", 'item_key', "'`: the tracker reported '",
            'cast(history_reported_count as ' ~ dbt.type_string() ~ ')', "' history entries but '",
            'cast(history_loaded_count as ' ~ dbt.type_string() ~ ')',
            "' were loaded, so its intervals may be wrong. Re-run the '", 'source',
            "' ingestion for this item; if it persists, check that the source pages the full changelog.'"
        ]) }} as message,
        cast(history_reported_count - history_loaded_count as {{ metrics_type_double() }}) as observed_value,
        project_key
    from fct_flow_items
    where history_loaded_count < history_reported_count

),

-- inconsistent_transition and invalid_timestamp: one finding per status change

status_changes as (

    select
        int_status_changes_sequenced.source,
        int_status_changes_sequenced.item_id,
        int_status_changes_sequenced.change_id,
        int_status_changes_sequenced.changed_at,
        int_status_changes_sequenced.from_tool_state,
        int_status_changes_sequenced.to_tool_state,
        int_status_changes_sequenced.reconstructed_from_tool_state,
        int_status_changes_sequenced.is_inconsistent_transition,
        int_status_changes_sequenced.is_before_creation,
        fct_flow_items.value_stream,
        fct_flow_items.project_key,
        fct_flow_items.item_key,
        fct_flow_items.created_at
    from int_status_changes_sequenced
    inner join fct_flow_items
        on
            int_status_changes_sequenced.source = fct_flow_items.source
            and int_status_changes_sequenced.item_id = fct_flow_items.item_id
    where
        int_status_changes_sequenced.is_inconsistent_transition
        or int_status_changes_sequenced.is_before_creation
        or int_status_changes_sequenced.changed_at > {{ run_started }}

),

inconsistent_transitions as (

    select
        'inconsistent_transition' as check_name,
        'warn' as severity,
        value_stream,
        source,
        item_id,
        item_key,
        change_id as subject,
        {{ dbt.concat([
            "'`'", 'item_key', "'`: status change '", 'change_id', "' at '",
            'cast(changed_at as ' ~ dbt.type_string() ~ ')', "' moves from `'",
            "coalesce(from_tool_state, '')", "'` but the history had the item in `'",
            "coalesce(reconstructed_from_tool_state, '')", "'`; a new stay starts at `'",
            "coalesce(to_tool_state, '')",
            "'`. Usually a bulk workflow migration: no change needed unless many items are affected, '",
            "'then map the old and new state names alike in " ~ flow_state_seed ~ ".'"
        ]) }} as message,
        cast(null as {{ metrics_type_double() }}) as observed_value,
        project_key
    from status_changes
    where is_inconsistent_transition

),

invalid_change_timestamps as (

    select
        'invalid_timestamp' as check_name,
        'warn' as severity,
        value_stream,
        source,
        item_id,
        item_key,
        change_id as subject,
        {{ dbt.concat([
            "'`'", 'item_key', "'`: status change '", 'change_id', "' is dated '",
            'cast(changed_at as ' ~ dbt.type_string() ~ ')',
            "case when is_before_creation then ', before the item was created ('"
            ~ " || cast(created_at as " ~ dbt.type_string() ~ ") || '); it is counted at creation'"
            ~ " else ', in the future (after this run started); it is ignored until then' end",
            "'. Check the clock or time zone of the '", 'source', "' instance and its export.'"
        ]) }} as message,
        cast(null as {{ metrics_type_double() }}) as observed_value,
        project_key
    from status_changes
    where
        is_before_creation
        or changed_at > {{ run_started }}

),

-- invalid_timestamp of flag and resolution changes: like a status change, one dated before creation takes
-- effect at creation and one after as-of is ignored

flag_and_resolution_changes as (

    select
        source,
        item_id,
        changed_at,
        {{ dbt.concat(["'flag change '", 'change_id']) }} as subject
    from int_flag_changes_unioned

    union all

    select
        source,
        item_id,
        changed_at,
        {{ dbt.concat(["'resolution change '", 'change_id']) }} as subject
    from int_resolution_changes_unioned

),

invalid_flag_and_resolution_timestamps as (

    select
        'invalid_timestamp' as check_name,
        'warn' as severity,
        fct_flow_items.value_stream,
        flag_and_resolution_changes.source,
        flag_and_resolution_changes.item_id,
        fct_flow_items.item_key,
        flag_and_resolution_changes.subject,
        {{ dbt.concat([
            "'`'", 'fct_flow_items.item_key', "'`: '", 'flag_and_resolution_changes.subject', "' is dated '",
            'cast(flag_and_resolution_changes.changed_at as ' ~ dbt.type_string() ~ ')',
            "case when flag_and_resolution_changes.changed_at < fct_flow_items.created_at"
            ~ " then ', before the item was created ('"
            ~ " || cast(fct_flow_items.created_at as " ~ dbt.type_string() ~ ") || '); it is counted at creation'"
            ~ " else ', in the future (after this run started); it is ignored until then' end",
            "'. Check the clock or time zone of the '", 'flag_and_resolution_changes.source',
            "' instance and its export.'"
        ]) }} as message,
        cast(null as {{ metrics_type_double() }}) as observed_value,
        fct_flow_items.project_key
    from flag_and_resolution_changes
    inner join fct_flow_items
        on
            flag_and_resolution_changes.source = fct_flow_items.source
            and flag_and_resolution_changes.item_id = fct_flow_items.item_id
    where
        flag_and_resolution_changes.changed_at < fct_flow_items.created_at
        or flag_and_resolution_changes.changed_at > {{ run_started }}

),

invalid_item_timestamps as (

    select
        'invalid_timestamp' as check_name,
        'warn' as severity,
        coalesce(
            fct_flow_items.value_stream, project_value_streams.value_stream, int_work_items_unioned.project_key
        ) as value_stream,
        int_work_items_unioned.source,
        int_work_items_unioned.item_id,
        int_work_items_unioned.item_key,
        'created_at' as subject,
        {{ dbt.concat([
            "'`'", 'int_work_items_unioned.item_key', "'`: created at '",
            'cast(int_work_items_unioned.created_at as ' ~ dbt.type_string() ~ ')',
            "', in the future (after this run started). Check the clock or time zone of the '",
            'int_work_items_unioned.source', "' instance and its export.'"
        ]) }} as message,
        cast(null as {{ metrics_type_double() }}) as observed_value,
        int_work_items_unioned.project_key
    from int_work_items_unioned
    left join fct_flow_items
        on
            int_work_items_unioned.source = fct_flow_items.source
            and int_work_items_unioned.item_id = fct_flow_items.item_id
    left join project_value_streams
        on
            int_work_items_unioned.source = project_value_streams.source
            and int_work_items_unioned.project_key = project_value_streams.project_key
    where int_work_items_unioned.created_at > {{ run_started }}

),

-- stale_source: the newest raw record of each source, against as-of

source_freshness as (

    select
        source,
        max(updated_at) as newest_record_at,
        {{ fractional_hours_between('max(updated_at)', as_of_timestamp()) }} as hours_since_newest_record
    from int_work_items_unioned
    group by source

),

stale_sources as (

    select
        'stale_source' as check_name,
        'warn' as severity,
        'all' as value_stream,
        source,
        cast(null as {{ dbt.type_string() }}) as item_id,
        cast(null as {{ dbt.type_string() }}) as item_key,
        source as subject,
        {{ dbt.concat([
            "'The newest '", 'source', "' record was updated at '",
            'cast(newest_record_at as ' ~ dbt.type_string() ~ ')', "', '",
            'cast(round(cast(hours_since_newest_record as ' ~ dbt.type_numeric() ~ '), 1) as '
            ~ dbt.type_string() ~ ')',
            "' hours before as-of (limit " ~ var('stale_source_hours', 36) ~ " h, var stale_source_hours). '",
            "'Check that the '", 'source', "' ingestion ran and that its credentials still work.'"
        ]) }} as message,
        cast(hours_since_newest_record as {{ metrics_type_double() }}) as observed_value,
        cast(null as {{ dbt.type_string() }}) as project_key
    from source_freshness
    where hours_since_newest_record > {{ var('stale_source_hours', 36) }}

),

findings as (

    select * from int_metrics_dq_missing_wait_states
    union all
    select * from unmapped_states
    union all
    select * from unmapped_item_types
    union all
    select * from done_without_active
    union all
    select * from created_in_progress
    union all
    select * from incomplete_history
    union all
    select * from inconsistent_transitions
    union all
    select * from invalid_change_timestamps
    union all
    select * from invalid_flag_and_resolution_timestamps
    union all
    select * from invalid_item_timestamps
    union all
    select * from stale_sources

),

final as (

    select
        {{ dbt.hash(dbt.concat([
            'check_name', "'|'", "coalesce(value_stream, '')", "'|'", "coalesce(source, '')", "'|'",
            "coalesce(project_key, '')", "'|'", "coalesce(item_id, '')", "'|'", "coalesce(subject, '')"
        ])) }} as finding_id,
        check_name,
        severity,
        value_stream,
        source,
        project_key,
        item_id,
        item_key,
        subject,
        message,
        observed_value,
        cast('{{ var("run_id", invocation_id) }}' as {{ dbt.type_string() }}) as run_id,
        {{ as_of_timestamp() }} as found_at
    from findings

)

select * from final
