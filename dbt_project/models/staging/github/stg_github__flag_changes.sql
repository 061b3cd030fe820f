{%- set blocked_labels = var('github_blocked_labels', ['blocked']) -%}

with

events as (

    select * from {{ ref('stg_github__events') }}

),

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

select * from final
