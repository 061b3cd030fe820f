{%- set field_value_columns = {
    'issue_id': dbt.type_string(),
    'field_id': dbt.type_string(),
    'value_index': dbt.type_bigint(),
    'field_name': dbt.type_string(),
    'value': dbt.type_string(),
    'issue_updated': dbt.type_timestamp(),
    '_dlt_load_id': dbt.type_string(),
} -%}
{%- set override_field_columns = {'field_id': dbt.type_string(), 'field_name': dbt.type_string()} -%}
{#- Landed only for the fields named in SOURCES__JIRA__OVERRIDE_FIELDS, and read only for the fields named at
    the last run (raw_jira.override_fields, replaced every run), so a field taken off the list stops overriding.
    A warehouse landed before these tables existed reads them as empty. -#}

with

field_values as (

    {{ source_or_empty('raw_jira', 'issue_field_values', field_value_columns) }}

),

override_fields as (

    {{ source_or_empty('raw_jira', 'override_fields', override_field_columns) }}

),

issues as (

    select * from {{ ref('stg_jira__issues') }}

),

{# An issue's rows come from its newest load, and within it from its newest read (an issue read twice in one
   run, with fewer values the second time, must not keep the first read's extra values). #}
field_values_newest_load as (

    select
        *,
        max(_dlt_load_id) over (partition by issue_id) as newest_load_id,
        max(coalesce(issue_updated, cast('1970-01-01' as {{ dbt.type_timestamp() }})))
            over (partition by issue_id, _dlt_load_id) as newest_issue_updated
    from field_values

),

final as (

    select
        issues.source,
        field_values_newest_load.issue_id,
        field_values_newest_load.field_id,
        field_values_newest_load.field_name,
        field_values_newest_load.value as field_value,
        {{ dbt.concat([
            'field_values_newest_load.issue_id',
            "'|'",
            'field_values_newest_load.field_id',
            "'|'",
            'cast(field_values_newest_load.value_index as ' ~ dbt.type_string() ~ ')',
        ]) }} as issue_field_value_id
    from field_values_newest_load
    inner join issues
        on field_values_newest_load.issue_id = issues.issue_id
    inner join override_fields
        on field_values_newest_load.field_id = override_fields.field_id
    where
        field_values_newest_load._dlt_load_id = field_values_newest_load.newest_load_id
        and coalesce(field_values_newest_load.issue_updated, cast('1970-01-01' as {{ dbt.type_timestamp() }}))
        = field_values_newest_load.newest_issue_updated
        and field_values_newest_load.value is not null
        and trim(field_values_newest_load.value) <> ''

)

select * from final
