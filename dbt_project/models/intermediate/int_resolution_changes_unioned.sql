with

stg_jira__resolution_changes as (

    select * from {{ ref('stg_jira__resolution_changes') }}

),

jira_resolution_changes as (

    select
        source,
        issue_id as item_id,
        change_id,
        history_sequence as change_sequence,
        changed_at,
        from_resolution_name as from_resolution,
        to_resolution_name as to_resolution
    from stg_jira__resolution_changes

),

final as (

    select * from jira_resolution_changes

)

select * from final
