with

stg_jira__issue_labels as (

    select * from {{ ref('stg_jira__issue_labels') }}

),

jira_work_item_labels as (

    select
        source,
        issue_id as item_id,
        label
    from stg_jira__issue_labels

),

final as (

    select * from jira_work_item_labels

)

select * from final
