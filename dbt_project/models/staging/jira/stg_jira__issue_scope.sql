{#- Whether each landed issue is still in the tracker's scope (spec: issues that vanish leave flow load).
    Every run lists the ids Jira returns for the configured scope (raw_jira.issue_scope, replaced each run).
    An issue is gone (deleted, moved to a project out of scope, or hidden from the API user) when the listing
    does not return it although Jira last changed it before the listing started, less the overlap window:
    an issue created or moved in while the listing ran is kept. No listing keeps every issue. -#}

with

issues as (

    select * from {{ source('raw_jira', 'issues') }}

),

listing as (

    select * from {{ source('raw_jira', 'issue_scope') }}

),

issues_last_updated as (

    select
        id as issue_id,
        max(updated) as updated_at
    from issues
    group by id

),

listing_run as (

    select
        max({{ timestamptz_to_utc('listed_at') }}) as listed_at,
        max({{ timestamptz_to_utc('unchanged_before') }}) as unchanged_before
    from listing

),

listed_issues as (

    select distinct id as issue_id
    from listing

),

final as (

    select
        issues_last_updated.issue_id,
        listing_run.listed_at as scope_listed_at,
        (
            listed_issues.issue_id is not null
            or listing_run.listed_at is null
            or issues_last_updated.updated_at >= listing_run.unchanged_before
        ) as is_in_scope
    from issues_last_updated
    cross join listing_run
    left join listed_issues
        on issues_last_updated.issue_id = listed_issues.issue_id

)

select * from final
