with

stg_jira__issue_labels as (

    select * from {{ ref('stg_jira__issue_labels') }}

),

stg_github__item_labels as (

    select * from {{ ref('stg_github__item_labels') }}

),

stg_gitlab__item_labels as (

    select * from {{ ref('stg_gitlab__item_labels') }}

),

jira_work_item_labels as (

    select
        source,
        issue_id as item_id,
        label_name,
        {{ dbt.concat(['source', "'|'", 'issue_label_id']) }} as work_item_label_id
    from stg_jira__issue_labels

),

github_work_item_labels as (

    select
        source,
        item_id,
        label_name,
        {{ dbt.concat(['source', "'|'", 'item_label_id']) }} as work_item_label_id
    from stg_github__item_labels

),

gitlab_work_item_labels as (

    select
        source,
        item_id,
        label_name,
        {{ dbt.concat(['source', "'|'", 'item_label_id']) }} as work_item_label_id
    from stg_gitlab__item_labels

),

final as (

    select * from jira_work_item_labels

    union all

    select * from github_work_item_labels

    union all

    select * from gitlab_work_item_labels

)

select * from final
