with

stg_jira__issue_labels as (

    select * from {{ ref('stg_jira__issue_labels') }}

),

jira_work_item_labels as (

    select
        source,
        issue_id as item_id,
        label_name,
        {{ dbt.concat(['source', "'|'", 'issue_label_id']) }} as work_item_label_id
    from stg_jira__issue_labels

),

final as (

    select * from jira_work_item_labels

)

select * from final
