with

issues as (

    select * from {{ ref('stg_jira__issues') }}

),

labels_unnested as (

    select
        source,
        issue_id,
        {{ json_string_array_elements('labels') }} as label_name
    from issues

),

final as (

    select distinct
        source,
        issue_id,
        label_name,
        {{ dbt.concat(['issue_id', "'|'", 'label_name']) }} as issue_label_id
    from labels_unnested
    where label_name is not null and trim(label_name) <> ''

)

select * from final
