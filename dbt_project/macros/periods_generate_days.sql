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

{% macro default__periods_generate_days(first_date, last_date) -%}
    {{ raise_missing_variant('periods_generate_days', 'periods_generate_days.sql') }}
{%- endmacro %}
