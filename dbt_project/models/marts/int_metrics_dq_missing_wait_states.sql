{{ config(schema='intermediate') }}

{%- set window_days = var('missing_wait_states_window_days', 90) -%}
{%- set efficiency_threshold = var('missing_wait_states_efficiency_threshold', 0.99) -%}
{%- set queue_words = [
    'ready', 'review', 'to do', 'todo', 'selected', 'backlog', 'awaiting', 'waiting', 'pending', 'queue',
    'queued', 'test', 'testing', 'qa', 'approval', 'approve', 'deploy', 'release', 'hold', 'blocked',
    'verify', 'verification', 'validation', 'accept', 'acceptance', 'staging', 'merge',
] -%}
{%- set window_start = dbt.dateadd('day', -1 * window_days, as_of_timestamp()) -%}
{%- set flow_state_seed = 'dbt_project/seeds/flow_state_mappings.csv' -%}

{# Spec section 6, missing wait states: one finding per value stream whose flow items (of every tracker) were
   in no waiting-mapped tool state during the window, or whose items completed in the window show an aggregate
   flow efficiency at or above the threshold. The message lists, per tracker, the workflows without a waiting
   state, the states seen, and the seed rows to add for the states whose names suggest a queue. #}

with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

-- missing_wait_states: the tool states flow items were in during the window, and how they are mapped

window_stays as (

    select
        source,
        project_key,
        item_id,
        value_stream,
        item_type,
        tool_state,
        tool_state_flow_state,
        {{ fractional_hours_between(
            'greatest(entered_at, ' ~ window_start ~ ')',
            'coalesce(exited_at, ' ~ as_of_timestamp() ~ ')'
        ) }} as window_hours
    from fct_state_intervals
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and entered_at < {{ as_of_timestamp() }}
        and coalesce(exited_at, {{ as_of_timestamp() }}) > {{ window_start }}

),

window_state_mappings as (

    select
        value_stream,
        source,
        tool_state,
        tool_state_flow_state,
        case tool_state_flow_state
            when 'new' then 1
            when 'waiting' then 2
            when 'active' then 3
            when 'done' then 4
            when 'canceled' then 5
            else 6
        end as flow_state_rank
    from window_stays
    group by value_stream, source, tool_state, tool_state_flow_state

),

window_state_mapping_lists as (

    select
        value_stream,
        source,
        tool_state,
        min(flow_state_rank) as flow_state_rank,
        {{ dbt.listagg(
            "coalesce(tool_state_flow_state, 'unmapped')", "' or '", 'order by flow_state_rank'
        ) }} as flow_states
    from window_state_mappings
    group by value_stream, source, tool_state

),

window_state_totals as (

    select
        value_stream,
        source,
        tool_state,
        count(distinct item_id) as items,
        sum(cast(window_hours as {{ metrics_exact_decimal() }})) as window_hours,
        max(case when tool_state_flow_state = 'waiting' then 1 else 0 end) as is_waiting,
        min(case when tool_state_flow_state in ('done', 'canceled') then 1 else 0 end) as is_terminal
    from window_stays
    group by value_stream, source, tool_state

),

{# A state's description: its flow state(s), the flow items in it during the window and, for states before
   done, the hours they spent in it (hours in done or canceled states only measure time since completion). #}
window_states as (

    select
        window_state_totals.value_stream,
        window_state_totals.source,
        window_state_totals.tool_state,
        window_state_totals.is_waiting,
        window_state_mapping_lists.flow_state_rank,
        window_state_totals.window_hours,
        {{ dbt.concat([
            "'`'", 'window_state_totals.tool_state', "'` ('", 'window_state_mapping_lists.flow_states', "', '",
            'cast(window_state_totals.items as ' ~ dbt.type_string() ~ ')',
            "case when window_state_totals.items = 1 then ' item' else ' items' end",
            "case when window_state_totals.is_terminal = 1 then '' else ', ' || cast(round(cast("
            ~ "window_state_totals.window_hours as " ~ dbt.type_numeric() ~ "), 1) as " ~ dbt.type_string()
            ~ ") || ' h' end",
            "')'"
        ]) }} as state_description
    from window_state_totals
    inner join window_state_mapping_lists
        on
            window_state_totals.value_stream = window_state_mapping_lists.value_stream
            and window_state_totals.source = window_state_mapping_lists.source
            and window_state_totals.tool_state = window_state_mapping_lists.tool_state

),

{# A workflow is an item type's set of tool states inside a value stream and tracker. #}
workflow_states as (

    select
        window_stays.value_stream,
        window_stays.source,
        window_stays.item_type,
        window_stays.tool_state,
        window_state_mapping_lists.flow_state_rank,
        max(case when window_stays.tool_state_flow_state = 'waiting' then 1 else 0 end) as is_waiting
    from window_stays
    inner join window_state_mapping_lists
        on
            window_stays.value_stream = window_state_mapping_lists.value_stream
            and window_stays.source = window_state_mapping_lists.source
            and window_stays.tool_state = window_state_mapping_lists.tool_state
    group by
        window_stays.value_stream,
        window_stays.source,
        window_stays.item_type,
        window_stays.tool_state,
        window_state_mapping_lists.flow_state_rank

),

workflows as (

    select
        value_stream,
        source,
        item_type,
        max(is_waiting) as has_waiting_state,
        {{ dbt.listagg(
            dbt.concat(["'`'", 'tool_state', "'`'"]), "', '", 'order by flow_state_rank, tool_state'
        ) }} as tool_states
    from workflow_states
    group by value_stream, source, item_type

),

{# Item types sharing one set of states are one workflow in the message. #}
workflow_groups as (

    select
        value_stream,
        source,
        tool_states,
        {{ dbt.listagg(dbt.concat(["'`'", 'item_type', "'`'"]), "', '", 'order by item_type') }} as item_types
    from workflows
    where has_waiting_state = 0
    group by value_stream, source, tool_states

),

workflows_without_waiting as (

    select
        value_stream,
        source,
        {{ dbt.listagg(
            dbt.concat(['item_types', "' (states '", 'tool_states', "')'"]), "'; '", 'order by item_types'
        ) }} as workflow_descriptions
    from workflow_groups
    group by value_stream, source

),

value_stream_waits as (

    select
        value_stream,
        source,
        max(is_waiting) as has_waiting_state,
        {{ dbt.listagg(
            'state_description', "', '", 'order by flow_state_rank, window_hours desc, tool_state'
        ) }} as states_seen
    from window_states
    group by value_stream, source

),

queue_suggestions as (

    select distinct
        source,
        project_key,
        value_stream,
        tool_state
    from window_stays
    where
        tool_state_flow_state in ('new', 'active')
        and {{ says_any_word('tool_state', queue_words) }}

),

value_stream_suggestions as (

    select
        value_stream,
        source,
        {{ dbt.listagg(
            dbt.concat(["'`'", 'source', "','", 'project_key', "',,'", 'tool_state', "',waiting`'"]),
            "', '",
            'order by project_key, tool_state'
        ) }} as suggested_rows
    from queue_suggestions
    group by value_stream, source

),

value_stream_projects as (

    select distinct
        value_stream,
        source,
        project_key
    from window_stays

),

{# Without a state whose name suggests a queue, the message still gives the exact row, with a placeholder. #}
value_stream_row_templates as (

    select
        value_stream,
        source,
        {{ dbt.listagg(
            dbt.concat(["'`'", 'source', "','", 'project_key', "',,<state>,waiting`'"]),
            "', '",
            'order by project_key'
        ) }} as template_rows
    from value_stream_projects
    group by value_stream, source

),

window_efficiency as (

    select
        value_stream,
        count(*) as completed_items,
        sum(cast(active_time_days as {{ metrics_exact_decimal() }}))
        / nullif(sum(cast(flow_time_days as {{ metrics_exact_decimal() }})), 0) as flow_efficiency
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and is_done
        and flow_time_days is not null
        and completed_at > {{ window_start }}
        and completed_at <= {{ as_of_timestamp() }}
    group by value_stream

),

{# What each tracker of a value stream shows and what to change in it (named when there are several). #}
source_details as (

    select
        value_stream_waits.value_stream,
        value_stream_waits.source,
        value_stream_waits.has_waiting_state,
        {{ dbt.concat([
            "case when count(*) over (partition by value_stream_waits.value_stream) > 1"
            ~ " then 'In ' || value_stream_waits.source || ': ' else '' end",
            "coalesce('Workflows without a waiting state: ' || workflows_without_waiting.workflow_descriptions"
            ~ " || '. ', '')",
            "'States seen: '", 'value_stream_waits.states_seen', "'. '",
            "coalesce('Likely queues: add ' || value_stream_suggestions.suggested_rows || ' to "
            ~ flow_state_seed ~ " (one row per queue state).', "
            ~ "'No state name suggests a queue. If work waits in one of these states, add ' || "
            ~ "value_stream_row_templates.template_rows || ' to " ~ flow_state_seed ~ " (one row per queue "
            ~ "state); if the workflow has no queue state, add one in the tracker (e.g. `Ready for Review`) "
            ~ "or flag blocked items, which count as waiting.')"
        ]) }} as details
    from value_stream_waits
    left join workflows_without_waiting
        on
            value_stream_waits.value_stream = workflows_without_waiting.value_stream
            and value_stream_waits.source = workflows_without_waiting.source
    left join value_stream_suggestions
        on
            value_stream_waits.value_stream = value_stream_suggestions.value_stream
            and value_stream_waits.source = value_stream_suggestions.source
    left join value_stream_row_templates
        on
            value_stream_waits.value_stream = value_stream_row_templates.value_stream
            and value_stream_waits.source = value_stream_row_templates.source

),

{# Spec section 6: one finding per value stream, judged on all its trackers together. #}
value_streams as (

    select
        value_stream,
        max(has_waiting_state) as has_waiting_state,
        {{ dbt.listagg('source', "', '", 'order by source') }} as sources,
        {{ dbt.listagg('details', "' '", 'order by source') }} as details
    from source_details
    group by value_stream

),

missing_wait_states as (

    select
        'missing_wait_states' as check_name,
        'warn' as severity,
        value_streams.value_stream,
        -- every finding has a `source`: here the value stream's trackers, as a list
        value_streams.sources as source,  -- noqa: RF04
        cast(null as {{ dbt.type_string() }}) as item_id,
        cast(null as {{ dbt.type_string() }}) as item_key,
        cast(null as {{ dbt.type_string() }}) as subject,
        {{ dbt.concat([
            "'Value stream `'", 'value_streams.value_stream', "'` ('", 'value_streams.sources', "') '",
            "case when value_streams.has_waiting_state = 0"
            ~ " then 'has no tool state mapped waiting among the states its flow items were in during the last "
            ~ window_days ~ " days'"
            ~ " else 'shows an aggregate flow efficiency of '"
            ~ " || cast(round(cast(100 * window_efficiency.flow_efficiency as " ~ dbt.type_numeric() ~ "), 1)"
            ~ " as " ~ dbt.type_string() ~ ") || '% over the items completed in the last "
            ~ window_days ~ " days' end",
            "', so its flow efficiency cannot show waiting. '",
            'value_streams.details'
        ]) }} as message,
        cast(window_efficiency.flow_efficiency as {{ metrics_type_double() }}) as observed_value,
        cast(null as {{ dbt.type_string() }}) as project_key
    from value_streams
    left join window_efficiency
        on value_streams.value_stream = window_efficiency.value_stream
    where
        value_streams.has_waiting_state = 0
        or window_efficiency.flow_efficiency >= {{ efficiency_threshold }}

)

select * from missing_wait_states
