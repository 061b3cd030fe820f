{#- GitHub has no workflow status: this derives one from lifecycle events and status labels.
    Lifecycle: issues start `Open`, pull requests `In Progress`; review requested or ready for review ->
    `In Review`; changes requested, back to draft, or (issues) an assignee or a pull request linking the
    issue -> `In Progress`; merged, or closed as completed -> `Done`; closed as not planned or duplicate, or a pull
    request closed unmerged -> `Canceled`; reopened -> `Reopened`. Open-work signals while the item is closed
    are ignored (a later pull request mentioning a closed issue does not reopen it).
    A status label (var `github_status_label_prefixes`) names the tool state while the item is open; removing
    it falls back to another status label still on (the one added last), else to the lifecycle state. At one
    instant, unlabeled sorts before labeled (a label swap). -#}
{%- set status_prefixes = var('github_status_label_prefixes', ['status:', 'status/']) -%}

with

items as (

    select * from {{ ref('stg_github__items') }}

),

events as (

    select * from {{ ref('stg_github__events') }}

),

event_signals as (

    select
        events.item_id,
        events.event_id as signal_id,
        events.created_at as signaled_at,
        case
            when
                events.event_type = 'closed'
                and items.is_pull_request
                and items.merged_at is not null
                and events.created_at >= {{ dbt.dateadd('minute', -1, 'items.merged_at') }}
                then 'Done'
            when events.event_type = 'closed' and items.is_pull_request then 'Canceled'
            when events.event_type = 'closed' and lower(events.state_reason) in ('not_planned', 'duplicate')
                then 'Canceled'
            when events.event_type = 'closed' then 'Done'
            when events.event_type = 'merged' then 'Done'
            when events.event_type = 'reopened' then 'Reopened'
        end as closure_state,
        case
            when events.event_type in ('review_requested', 'ready_for_review') then 'In Review'
            when events.event_type = 'reviewed' and events.review_state = 'changes_requested' then 'In Progress'
            when events.event_type = 'convert_to_draft' then 'In Progress'
            when events.event_type in ('assigned', 'connected') and not items.is_pull_request then 'In Progress'
            when
                events.event_type = 'cross-referenced'
                and events.is_source_pull_request
                and not items.is_pull_request
                then 'In Progress'
        end as work_state,
        case
            when
                events.event_type in ('labeled', 'unlabeled')
                and {{ is_status_label('events.label_name', status_prefixes) }}
                then events.label_name
        end as status_label,
        events.event_type = 'labeled' as is_label_added,
        -- At one instant: label swaps first, a close before a reopen (an item open now was reopened last; one
        -- closed now gets its closing signal last), merged after closed.
        case events.event_type
            when 'unlabeled' then 1
            when 'labeled' then 2
            when 'closed' then 4
            when 'reopened' then 5
            when 'merged' then 6
            else 3
        end as signal_priority
    from events
    inner join items
        on events.item_id = items.item_id

),

item_closure_signals as (

    select
        item_id,
        'item-closed' as signal_id,
        -- the last update when GitHub gives no close time: a closed item is never left open
        coalesce(closed_at, merged_at, updated_at) as signaled_at,
        case
            when merged_at is not null then 'Done'
            when is_pull_request then 'Canceled'
            when lower(state_reason) in ('not_planned', 'duplicate') then 'Canceled'
            else 'Done'
        end as closure_state,
        cast(null as {{ dbt.type_string() }}) as work_state,
        cast(null as {{ dbt.type_string() }}) as status_label,
        cast(null as {{ dbt.type_boolean() }}) as is_label_added,
        7 as signal_priority
    from items
    where state = 'closed' and coalesce(closed_at, merged_at, updated_at) is not null

),

signals as (

    select * from event_signals
    where closure_state is not null or work_state is not null or status_label is not null

    union all

    select * from item_closure_signals

),

signals_ordered as (

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

signals_with_closure as (

    select
        *,
        max(closure_state) over (partition by item_id, closure_group) as closure_state_so_far
    from signals_ordered

),

lifecycle_signals as (

    select
        *,
        case
            when closure_state is not null then closure_state
            when coalesce(closure_state_so_far, '') not in ('Done', 'Canceled') then work_state
        end as lifecycle_state
    from signals_with_closure

),

lifecycle_grouped as (

    select
        *,
        count(lifecycle_state) over item_signals_so_far as lifecycle_group
    from lifecycle_signals
    window item_signals_so_far as (
        partition by item_id order by signal_index asc
        rows between unbounded preceding and current row
    )

),

{{ git_status_labels_in_effect('lifecycle_grouped') }},

{{ git_tool_state_changes('signals_with_status_label', 'lifecycle_state', 'lifecycle_group') }}

select * from final
