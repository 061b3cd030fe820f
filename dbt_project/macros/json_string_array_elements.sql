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

{% macro default__json_string_array_elements(json_text_expression) -%}
    {{ raise_missing_variant('json_string_array_elements', 'json_string_array_elements.sql') }}
{%- endmacro %}
