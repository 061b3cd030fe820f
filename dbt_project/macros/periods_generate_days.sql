{#- A select-list expression that yields one row per calendar date from `first_date` to `last_date`
    (both inclusive, both columns or expressions of the same row). dbt has no cross-database date
    series, so each adapter gets its set-returning form. -#}
{% macro periods_generate_days(first_date, last_date) -%}
    {{ return(adapter.dispatch('periods_generate_days')(first_date, last_date)) }}
{%- endmacro %}

{% macro postgres__periods_generate_days(first_date, last_date) -%}
    cast(generate_series(
        cast({{ first_date }} as {{ dbt.type_timestamp() }}),
        cast({{ last_date }} as {{ dbt.type_timestamp() }}),
        interval '1 day'
    ) as date)
{%- endmacro %}

{% macro duckdb__periods_generate_days(first_date, last_date) -%}
    cast(unnest(generate_series(
        cast({{ first_date }} as {{ dbt.type_timestamp() }}),
        cast({{ last_date }} as {{ dbt.type_timestamp() }}),
        interval '1 day'
    )) as date)
{%- endmacro %}

{#- Written for DuckDB and Postgres only: another engine gets this error, naming what to add, rather
    than SQL it cannot run. -#}
{% macro default__periods_generate_days(first_date, last_date) -%}
    {{ exceptions.raise_compiler_error(
        'periods_generate_days has no variant for ' ~ target.type ~ ': add a macro ' ~ target.type ~ '__periods_generate_days'
        ~ ' in dbt_project/macros/periods_generate_days.sql'
    ) }}
{%- endmacro %}
