with

issue_types as (

    select * from {{ source('raw_jira', 'issue_types') }}

),

issue_types_deduplicated as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from issue_types

),

final as (

    select
        'jira' as "source",
        id as issue_type_id,
        name as issue_type_name,
        coalesce(is_subtask, false) as is_subtask,
        hierarchy_level
    from issue_types_deduplicated
    where load_rank = 1

)

select * from final
