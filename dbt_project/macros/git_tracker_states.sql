{#- The tool-state category of a synthetic git-tracker state (GitHub, GitLab): `Open` is new, `Done` and
    `Canceled` are done, everything else (In Progress, In Review, Reopened, status labels) indeterminate. -#}
{% macro git_tool_state_category(tool_state_expression) -%}
    case
        when {{ tool_state_expression }} is null then null
        when {{ tool_state_expression }} = 'Open' then 'new'
        when {{ tool_state_expression }} in ('Done', 'Canceled') then 'done'
        else 'indeterminate'
    end
{%- endmacro %}

{#- True when a label names a workflow status: it starts with one of the prefixes (case-insensitive). -#}
{% macro is_status_label(label_expression, prefixes) -%}
    {%- if prefixes | length == 0 -%}
        false
    {%- else -%}
        coalesce(
        {%- for prefix in prefixes %}
            lower({{ label_expression }}) like '{{ prefix | lower | replace("'", "''") }}%'{{ ' or' if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}

{#- True when a label marks an item blocked (one of the names, case-insensitive, whole label). -#}
{% macro is_blocked_label(label_expression, names) -%}
    {%- if names | length == 0 -%}
        false
    {%- else -%}
        coalesce(lower(trim({{ label_expression }})) in (
        {%- for name in names -%}
            '{{ name | lower | replace("'", "''") }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
        ), false)
    {%- endif -%}
{%- endmacro %}

{#- True when a JSON array of label names (text) holds one of the names as a whole label, case-insensitively
    (`json_text_array_has`: `_` and `%` in a name are plain characters, not wildcards). -#}
{% macro labels_json_has_any(labels_json_expression, names) -%}
    {%- if names | length == 0 -%}
        false
    {%- else -%}
        (
        {%- for name in names %}
            {{ json_text_array_has(labels_json_expression, "'" ~ (name | replace("'", "''")) ~ "'") }}
            {{- ' or' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}


{#- The status label in effect after each signal of a git tracker item: of the status labels on the item at
    that point, the one added last. Removing it falls back to a status label added before it that is still on
    (an item can carry two), or to none. A label is paired with its removal by name, case-insensitively; a
    removal that matches no label on (the timeline keeps each event's name, so a label renamed in between no
    longer matches) ends every status label then on, as if the item lost its status. `signals` is the CTE of
    ordered signals (`signal_index`), whose label events have `status_label` and `is_label_added`. Renders the
    CTEs from `status_label_events` to `signals_with_status_label`: the signals with their `status_label_so_far`
    (null when no status label is on). -#}
{% macro git_status_labels_in_effect(signals) %}
status_label_events as (

    select
        item_id,
        signal_index,
        status_label,
        is_label_added,
        lead(signal_index) over (
            partition by item_id, lower(status_label) order by signal_index asc
        ) as next_same_label_index,
        lag(is_label_added) over (
            partition by item_id, lower(status_label) order by signal_index asc
        ) as was_added_before
    from {{ signals }}
    where status_label is not null

),

unmatched_label_removals as (

    select
        item_id,
        signal_index
    from status_label_events
    where not is_label_added and not coalesce(was_added_before, false)

),

{# A label is on from the signal that added it until the next event of the same label (its removal), or an
    unmatched removal before that. #}
status_label_stays as (

    select
        status_label_events.item_id,
        status_label_events.status_label,
        status_label_events.signal_index as added_index,
        case
            when min(unmatched_label_removals.signal_index) is null
                then status_label_events.next_same_label_index
            when
                status_label_events.next_same_label_index is null
                or min(unmatched_label_removals.signal_index) < status_label_events.next_same_label_index
                then min(unmatched_label_removals.signal_index)
            else status_label_events.next_same_label_index
        end as ended_index
    from status_label_events
    left join unmatched_label_removals
        on
            status_label_events.item_id = unmatched_label_removals.item_id
            and unmatched_label_removals.signal_index > status_label_events.signal_index
    where status_label_events.is_label_added
    group by
        status_label_events.item_id,
        status_label_events.status_label,
        status_label_events.signal_index,
        status_label_events.next_same_label_index

),

status_labels_on as (

    select
        {{ signals }}.item_id,
        {{ signals }}.signal_index,
        status_label_stays.status_label,
        row_number() over (
            partition by {{ signals }}.item_id, {{ signals }}.signal_index
            order by status_label_stays.added_index desc
        ) as added_last_rank
    from {{ signals }}
    inner join status_label_stays
        on
            {{ signals }}.item_id = status_label_stays.item_id
            and {{ signals }}.signal_index >= status_label_stays.added_index
            and (
                status_label_stays.ended_index is null
                or {{ signals }}.signal_index < status_label_stays.ended_index
            )

),

signals_with_status_label as (

    select
        {{ signals }}.*,
        status_labels_on.status_label as status_label_so_far
    from {{ signals }}
    left join status_labels_on
        on
            {{ signals }}.item_id = status_labels_on.item_id
            and {{ signals }}.signal_index = status_labels_on.signal_index
            and status_labels_on.added_last_rank = 1

)
{% endmacro %}

{#- The tool-state changes of a git tracker item, from its ordered signals: a closing signal (`Done`, `Canceled`)
    wins, else the status label in effect, else the latest lifecycle state, else the item's initial state; a
    change is recorded where the derived state differs from the one before. Shared by the GitHub and GitLab
    staging models, which differ only in how they turn their events into signals. Renders the CTEs from
    `states_so_far` to `final`; `signals` is the CTE of grouped signals with their `status_label_so_far` (see
    `git_status_labels_in_effect`), joined to a CTE named `items`. -#}
{% macro git_tool_state_changes(signals, state_column, group_column) %}
states_so_far as (

    select
        {{ signals }}.item_id,
        {{ signals }}.signal_id,
        {{ signals }}.signal_index,
        {{ signals }}.signaled_at,
        items.source,
        items.initial_tool_state,
        {{ signals }}.status_label_so_far,
        max({{ signals }}.{{ state_column }}) over (
            partition by {{ signals }}.item_id, {{ signals }}.{{ group_column }}
        ) as signal_state_so_far
    from {{ signals }}
    inner join items
        on {{ signals }}.item_id = items.item_id

),

derived_states as (

    select
        source,
        item_id,
        signal_id,
        signal_index,
        signaled_at,
        initial_tool_state,
        case
            when signal_state_so_far in ('Done', 'Canceled') then signal_state_so_far
            when status_label_so_far is not null then status_label_so_far
            else coalesce(signal_state_so_far, initial_tool_state)
        end as tool_state
    from states_so_far

),

derived_with_previous as (

    select
        *,
        coalesce(
            lag(tool_state) over (partition by item_id order by signal_index asc), initial_tool_state
        ) as previous_tool_state
    from derived_states

),

changes as (

    select
        source,
        item_id,
        signal_id,
        signal_index,
        signaled_at,
        previous_tool_state,
        tool_state
    from derived_with_previous
    where tool_state <> previous_tool_state

),

final as (

    select
        {{ dbt.concat(['item_id', "'-'", 'signal_id']) }} as change_id,
        source,
        item_id,
        signal_id,
        cast(signal_index as {{ dbt.type_bigint() }}) as change_sequence,
        signaled_at as changed_at,
        previous_tool_state as from_tool_state,
        {{ git_tool_state_category('previous_tool_state') }} as from_tool_state_category,
        tool_state as to_tool_state,
        {{ git_tool_state_category('tool_state') }} as to_tool_state_category,
        row_number() over (partition by item_id order by signal_index desc) = 1 as is_latest_change
    from changes

)
{% endmacro %}

{#- The flag changes of git tracker items from adding and removing a blocked label (one of `blocked_labels`):
    flagged after a `labeled` event, cleared after an `unlabeled` one; at one instant the removal sorts first.
    Shared by the GitHub and GitLab staging models. Renders the CTEs from `blocked_label_events` to `final`,
    reading a CTE named `events` (the tracker's staged label events). -#}
{% macro git_label_flag_changes(blocked_labels) %}
blocked_label_events as (

    select
        source,
        item_id,
        event_id,
        created_at as changed_at,
        event_type = 'labeled' as is_flagged_after,
        row_number() over (
            partition by item_id
            order by created_at asc, case when event_type = 'unlabeled' then 0 else 1 end asc, event_id asc
        ) as change_sequence
    from events
    where
        event_type in ('labeled', 'unlabeled')
        and {{ is_blocked_label('label_name', blocked_labels) }}

),

final as (

    select
        source,
        item_id,
        event_id,
        changed_at,
        change_sequence,
        is_flagged_after,
        {{ dbt.concat(['item_id', "'-'", 'event_id']) }} as change_id,
        coalesce(
            lag(is_flagged_after) over (partition by item_id order by change_sequence asc), false
        ) as is_flagged_before
    from blocked_label_events

)
{% endmacro %}
