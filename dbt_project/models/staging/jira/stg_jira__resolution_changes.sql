with

changelog_items as (

    select * from {{ source('raw_jira', 'changelog_items') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

resolution_items as (

    -- One row per history and field, with no ranking: it is the raw table's primary key (issue_id,
    -- history_id, field), and each read of an issue replaces all its raw rows (dlt merge key issue_id).
    select *
    from changelog_items
    where field = 'resolution'

),

changes_renamed as (

    select
        issue_id,
        history_id,
        created as changed_at,
        author_account_id,
        {{ dbt.concat(['issue_id', "'-'", 'history_id']) }} as change_id,
        cast(history_id as bigint) as history_sequence,
        nullif(trim(from_string), '') as from_resolution_name,
        nullif(trim(to_string), '') as to_resolution_name
    from resolution_items

),

final as (

    select
        changes_renamed.*,
        tracker.source
    from changes_renamed
    cross join tracker

)

select * from final
