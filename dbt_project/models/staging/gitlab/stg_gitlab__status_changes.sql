{#- GitLab's tool state history, derived from resource events. Lifecycle: issues start `Open`, merge
    requests `In Progress`; merged, or an issue closed -> `Done`; a merge request closed unmerged ->
    `Canceled`; reopened -> `Reopened`. A status label (a scoped label whose scope is in var
    `gitlab_status_label_scopes`, default `workflow`, e.g. `workflow::in dev`) names the tool state while
    the item is open; removing it falls back to another status label still on (the one added last), else to
    the lifecycle state. GitLab replaces a scoped label by removing the old one and adding the new one at the
    same instant: removals sort first. -#}
{%- set status_prefixes = [] -%}
{%- for scope in var('gitlab_status_label_scopes', ['workflow']) -%}
    {%- do status_prefixes.append(scope ~ '::') -%}
{%- endfor -%}

with

items as (

    select * from {{ ref('stg_gitlab__items') }}

),

events as (

    select * from {{ ref('stg_gitlab__events') }}

),

event_signals as (

    select
        events.item_id,
        events.event_id as signal_id,
        events.created_at as signaled_at,
        case
            when events.event_resource = 'state' and events.state = 'merged' then 'Done'
            when events.event_resource = 'state' and events.state = 'closed' and items.is_merge_request
                then 'Canceled'
            when events.event_resource = 'state' and events.state = 'closed' then 'Done'
            when events.event_resource = 'state' and events.state = 'reopened' then 'Reopened'
        end as closure_state,
        case
            when
                events.event_type in ('labeled', 'unlabeled')
                and {{ is_status_label('events.label_name', status_prefixes) }}
                then events.label_name
        end as status_label,
        events.event_type = 'labeled' as is_label_added,
        -- At one instant: label swaps first, a close before a reopen (an item open now was reopened last; one
        -- closed now gets its closing signal last), merged last.
        case
            when events.event_type = 'unlabeled' then 1
            when events.event_type = 'labeled' then 2
            when events.state = 'closed' then 4
            when events.state = 'reopened' then 5
            else 6
        end as signal_priority
    from events
    inner join items
        on events.item_id = items.item_id

),

item_closure_signals as (

    select
        item_id,
        'item-closed' as signal_id,
        -- the last update when GitLab gives no close time (a merge request merged long ago can have neither)
        coalesce(merged_at, closed_at, updated_at) as signaled_at,
        case
            when merged_at is not null or state = 'merged' then 'Done'
            when is_merge_request then 'Canceled'
            else 'Done'
        end as closure_state,
        cast(null as {{ dbt.type_string() }}) as status_label,
        cast(null as {{ dbt.type_boolean() }}) as is_label_added,
        7 as signal_priority
    from items
    where state in ('closed', 'merged') and coalesce(merged_at, closed_at, updated_at) is not null

),

signals as (

    select * from event_signals
    where closure_state is not null or status_label is not null

    union all

    select * from item_closure_signals

),

signals_grouped as (

    select
        *,
        row_number() over item_signals as signal_index,
        count(closure_state) over item_signals_so_far as closure_group
    from signals
    window
        item_signals as (partition by item_id order by signaled_at asc, signal_priority asc, signal_id asc),
        item_signals_so_far as (
            partition by item_id order by signaled_at asc, signal_priority asc, signal_id asc
            rows between unbounded preceding and current row
        )

),

{{ git_status_labels_in_effect('signals_grouped') }},

{{ git_tool_state_changes('signals_with_status_label', 'closure_state', 'closure_group') }}

select * from final
