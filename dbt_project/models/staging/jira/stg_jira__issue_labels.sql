with

issues as (

    select * from {{ ref('stg_jira__issues') }}

),

labels_unnested as (

    select
        source,
        issue_id,
        {{ json_string_array_elements('labels') }} as "label"
    from issues

),

final as (

    select distinct
        {{ dbt.concat(['issue_id', "'|'", 'label']) }} as issue_label_id,
        source,
        issue_id,
        label
    from labels_unnested
    where label is not null and trim(label) <> ''

)

select * from final
