{#- Set-returning expression: one row per string of a JSON array held as text (e.g. Jira labels).
    Use in a select list; null or empty arrays give no row. -#}
{% macro json_string_array_elements(json_text_expression) -%}
    {{ return(adapter.dispatch('json_string_array_elements')(json_text_expression)) }}
{%- endmacro %}

{% macro postgres__json_string_array_elements(json_text_expression) -%}
    json_array_elements_text(cast({{ json_text_expression }} as json))
{%- endmacro %}

{% macro duckdb__json_string_array_elements(json_text_expression) -%}
    unnest(cast(json({{ json_text_expression }}) as varchar[]))
{%- endmacro %}

{#- Written for DuckDB and Postgres only: another engine gets this error, naming what to add, rather
    than SQL it cannot run. -#}
{% macro default__json_string_array_elements(json_text_expression) -%}
    {{ exceptions.raise_compiler_error(
        'json_string_array_elements has no variant for ' ~ target.type ~ ': add a macro ' ~ target.type ~ '__json_string_array_elements'
        ~ ' in dbt_project/macros/json_string_array_elements.sql'
    ) }}
{%- endmacro %}
