with

changelog_items as (

    select * from {{ source('raw_jira', 'changelog_items') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

status_items as (

    -- One row per history and field, with no ranking: it is the raw table's primary key (issue_id,
    -- history_id, field), and each read of an issue replaces all its raw rows (dlt merge key issue_id).
    select *
    from changelog_items
    where field = 'status'

),

changes_renamed as (

    select
        issue_id,
        history_id,
        created as changed_at,
        author_account_id,
        {{ dbt.concat(['issue_id', "'-'", 'history_id']) }} as change_id,
        cast(history_id as bigint) as history_sequence,
        from_value as from_status_id,
        from_string as from_status_name,
        to_value as to_status_id,
        to_string as to_status_name
    from status_items

),

final as (

    select
        changes_renamed.*,
        tracker.source
    from changes_renamed
    cross join tracker

)

select * from final
