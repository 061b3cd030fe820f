with

issue_types as (

    select * from {{ source('raw_jira', 'issue_types') }}

),

tracker as (

    select tracker_values.source
    from (values ('jira')) as tracker_values (source)

),

issue_types_ranked as (

    select
        *,
        row_number() over (partition by id order by _dlt_load_id desc) as load_rank
    from issue_types

),

issue_types_renamed as (

    select
        id as issue_type_id,
        name as issue_type_local_name,
        hierarchy_level,
        coalesce(untranslated_name, name) as issue_type_name,
        coalesce(is_subtask, false) as is_subtask
    from issue_types_ranked
    where load_rank = 1

),

final as (

    select
        issue_types_renamed.*,
        tracker.source
    from issue_types_renamed
    cross join tracker

)

select * from final
