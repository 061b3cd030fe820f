with

changelog_items as (

    select * from {{ source('raw_jira', 'changelog_items') }}

),

resolution_items as (

    select
        *,
        row_number() over (
            partition by issue_id, history_id
            order by item_index asc, _dlt_load_id desc
        ) as item_rank
    from changelog_items
    where field = 'resolution'

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
        nullif(trim(from_string), '') as from_resolution_name,
        nullif(trim(to_string), '') as to_resolution_name
    from resolution_items
    where item_rank = 1

)

select * from final
