with

changelog_items as (

    select * from {{ source('raw_jira', 'changelog_items') }}

),

flag_items as (

    select
        *,
        row_number() over (
            partition by issue_id, history_id
            order by item_index asc, _dlt_load_id desc
        ) as item_rank
    from changelog_items
    where field = 'Flagged'

),

final as (

    select
        'jira' as "source",
        {{ dbt.concat(['issue_id', "'-'", 'history_id']) }} as change_id,
        issue_id,
        history_id,
        cast(history_id as bigint) as history_sequence,
        created as changed_at,
        author_account_id,
        coalesce(trim(from_string), '') <> '' as is_flagged_before,
        coalesce(trim(to_string), '') <> '' as is_flagged_after
    from flag_items
    where item_rank = 1

)

select * from final
