with

statuses as (

    select * from {{ source('raw_jira', 'statuses') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

statuses_ranked as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from statuses

),

statuses_renamed as (

    select
        id as status_id,
        name as status_name,
        status_category_key,
        status_category_name,
        scope_project_id
    from statuses_ranked
    where load_rank = 1

),

final as (

    select
        statuses_renamed.*,
        tracker.source
    from statuses_renamed
    cross join tracker

)

select * from final
