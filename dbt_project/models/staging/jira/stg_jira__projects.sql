with

projects as (

    select * from {{ source('raw_jira', 'projects') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

projects_ranked as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from projects

),

projects_renamed as (

    select
        id as project_id,
        key as project_key,
        name as project_name,
        instance_url
    from projects_ranked
    where load_rank = 1

),

final as (

    select
        projects_renamed.*,
        tracker.source
    from projects_renamed
    cross join tracker

)

select * from final
