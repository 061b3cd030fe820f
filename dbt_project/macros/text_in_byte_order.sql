{#- A text expression for `order by` that sorts the same on every engine: by its bytes (code points), as DuckDB,
    Snowflake, BigQuery and Databricks sort text by default. A Postgres database sorts by its collation
    (`en_US.UTF-8` ignores case and punctuation on a first pass), so a tie broken by a name (which
    bottleneck, which of two equally specific mappings) could go the other way there; its variant asks
    for the "C" collation. -#}
{% macro text_in_byte_order(expression) -%}
    {{ return(adapter.dispatch('text_in_byte_order')(expression)) }}
{%- endmacro %}

{% macro default__text_in_byte_order(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__text_in_byte_order(expression) -%}
    ({{ expression }}) collate "C"
{%- endmacro %}
