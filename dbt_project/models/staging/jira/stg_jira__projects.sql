with

projects as (

    select * from {{ source('raw_jira', 'projects') }}

),

projects_deduplicated as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from projects

),

final as (

    select
        'jira' as "source",
        id as project_id,
        key as project_key,
        name as project_name,
        instance_url
    from projects_deduplicated
    where load_rank = 1

)

select * from final
