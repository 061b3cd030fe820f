with

statuses as (

    select * from {{ source('raw_jira', 'statuses') }}

),

statuses_deduplicated as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from statuses

),

final as (

    select
        'jira' as "source",
        id as status_id,
        name as status_name,
        status_category_key,
        status_category_name,
        scope_project_id
    from statuses_deduplicated
    where load_rank = 1

)

select * from final
