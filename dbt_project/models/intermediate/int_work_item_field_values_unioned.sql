{#- Only Jira lands field values so far (SOURCES__JIRA__OVERRIDE_FIELDS); another tracker adds its staging
    model here. -#}

with

stg_jira__issue_field_values as (

    select * from {{ ref('stg_jira__issue_field_values') }}

),

jira_work_item_field_values as (

    select
        source,
        issue_id as item_id,
        field_id,
        field_name,
        field_value,
        {{ dbt.concat(['source', "'|'", 'issue_field_value_id']) }} as work_item_field_value_id
    from stg_jira__issue_field_values

),

final as (

    select * from jira_work_item_field_values

)

select * from final
