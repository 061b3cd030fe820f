{%- set blocked_labels = var('jira_blocked_labels', ['blocked']) -%}

with

changelog_items as (

    select * from {{ source('raw_jira', 'changelog_items') }}

),

issues as (

    select * from {{ source('raw_jira', 'issues') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

flag_signal_items as (

    -- One row per history and field, with no ranking: it is the raw table's primary key (issue_id,
    -- history_id, field), and each read of an issue replaces all its raw rows (dlt merge key issue_id).
    select *
    from changelog_items
    where field in ('Flagged', 'labels')

),

signal_items as (

    select
        issue_id,
        history_id,
        field,
        created,
        author_account_id,
        case
            when field = 'Flagged' then coalesce(trim(from_string), '') <> ''
            else {{ jira_label_list_has_any('from_string', blocked_labels) }}
        end as is_set_before,
        case
            when field = 'Flagged' then coalesce(trim(to_string), '') <> ''
            else {{ jira_label_list_has_any('to_string', blocked_labels) }}
        end as is_set_after
    from flag_signal_items

),

flag_field_items as (

    select * from signal_items
    where field = 'Flagged'

),

label_items as (

    select * from signal_items
    where field = 'labels'

),

issues_ranked as (

    select
        id as issue_id,
        is_flagged,
        labels,
        row_number() over (
            partition by id
            order by updated desc nulls last, _dlt_load_id desc
        ) as load_rank
    from issues
    where id in (select signal_items.issue_id from signal_items)

),

current_signals as (

    select
        issue_id,
        coalesce(is_flagged, false) as is_flag_field_set_now,
        {{ labels_json_has_any('labels', blocked_labels) }} as has_blocked_label_now
    from issues_ranked
    where load_rank = 1

),

histories as (

    select distinct
        issue_id,
        history_id
    from signal_items

),

histories_with_signals as (

    select
        histories.issue_id,
        histories.history_id,
        flag_field_items.is_set_before as flag_field_set_before,
        flag_field_items.is_set_after as flag_field_set_after,
        label_items.is_set_before as blocked_label_before,
        label_items.is_set_after as blocked_label_after,
        cast(histories.history_id as bigint) as history_sequence,
        coalesce(flag_field_items.created, label_items.created) as changed_at,
        coalesce(flag_field_items.author_account_id, label_items.author_account_id) as author_account_id,
        flag_field_items.history_id is not null as has_flag_field_item,
        label_items.history_id is not null as has_label_item,
        coalesce(current_signals.is_flag_field_set_now, false) as is_flag_field_set_now,
        coalesce(current_signals.has_blocked_label_now, false) as has_blocked_label_now
    from histories
    left join flag_field_items
        on
            histories.issue_id = flag_field_items.issue_id
            and histories.history_id = flag_field_items.history_id
    left join label_items
        on
            histories.issue_id = label_items.issue_id
            and histories.history_id = label_items.history_id
    left join current_signals
        on histories.issue_id = current_signals.issue_id

),

-- Each signal keeps its value between its own changes: a running count of its changes numbers the groups
-- (group 0 = before its first change), and a group's first row holds the change that set the value.
signal_groups as (

    select
        *,
        sum(case when has_flag_field_item then 1 else 0 end) over (
            partition by issue_id
            order by changed_at asc, history_sequence asc
            rows between unbounded preceding and current row
        ) as flag_field_group,
        sum(case when has_label_item then 1 else 0 end) over (
            partition by issue_id
            order by changed_at asc, history_sequence asc
            rows between unbounded preceding and current row
        ) as label_group,
        first_value(flag_field_set_before) over (
            partition by issue_id
            order by case when has_flag_field_item then 0 else 1 end asc, changed_at asc, history_sequence asc
        ) as flag_field_set_initially,
        first_value(blocked_label_before) over (
            partition by issue_id
            order by case when has_label_item then 0 else 1 end asc, changed_at asc, history_sequence asc
        ) as blocked_label_initially
    from histories_with_signals

),

signal_values_so_far as (

    select
        *,
        first_value(flag_field_set_after) over (
            partition by issue_id, flag_field_group
            order by changed_at asc, history_sequence asc
        ) as flag_field_set_so_far,
        first_value(blocked_label_after) over (
            partition by issue_id, label_group
            order by changed_at asc, history_sequence asc
        ) as blocked_label_so_far
    from signal_groups

),

signal_values as (

    select
        *,
        coalesce(flag_field_set_so_far, flag_field_set_initially, is_flag_field_set_now) as flag_field_set_carried,
        coalesce(blocked_label_so_far, blocked_label_initially, has_blocked_label_now) as blocked_label_carried
    from signal_values_so_far

),

changes_renamed as (

    select
        issue_id,
        history_id,
        changed_at,
        author_account_id,
        {{ dbt.concat(['issue_id', "'-'", 'history_id']) }} as change_id,
        history_sequence,
        (
            case when has_flag_field_item then flag_field_set_before else flag_field_set_carried end
            or case when has_label_item then blocked_label_before else blocked_label_carried end
        ) as is_flagged_before,
        (
            case when has_flag_field_item then flag_field_set_after else flag_field_set_carried end
            or case when has_label_item then blocked_label_after else blocked_label_carried end
        ) as is_flagged_after
    from signal_values
    where has_flag_field_item or (has_label_item and blocked_label_before <> blocked_label_after)

),

final as (

    select
        changes_renamed.*,
        tracker.source
    from changes_renamed
    cross join tracker

)

select * from final
