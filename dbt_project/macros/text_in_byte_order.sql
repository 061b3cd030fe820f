{#- A text expression for `order by` that sorts the same on every engine: by its bytes (code points), as DuckDB,
    Snowflake, BigQuery and Databricks sort text by default. A Postgres database sorts by its collation
    (`en_US.UTF-8` ignores case and punctuation on a first pass), so a tie broken by a name (which
    bottleneck, which of two equally specific mappings) could go the other way there; its variant asks
    for the "C" collation. Redshift, which dbt-redshift would send to the Postgres variant, has no such
    clause and sorts by bytes unless the database is case-insensitive: it keeps the expression. -#}
{% macro text_in_byte_order(expression) -%}
    {{ return(adapter.dispatch('text_in_byte_order')(expression)) }}
{%- endmacro %}

{% macro default__text_in_byte_order(expression) -%}
    {{ expression }}
{%- endmacro %}

{% macro postgres__text_in_byte_order(expression) -%}
    ({{ expression }}) collate "C"
{%- endmacro %}

{% macro redshift__text_in_byte_order(expression) -%}
    {{ expression }}
{%- endmacro %}
