{#- The generic variant of a macro written for DuckDB and Postgres only: another engine gets this error,
    naming the macro to add, rather than SQL it cannot run. -#}
{% macro raise_missing_variant(macro_name, file_name) -%}
    {{ exceptions.raise_compiler_error(
        macro_name ~ ' has no variant for ' ~ target.type ~ ': add a macro ' ~ target.type ~ '__' ~ macro_name
        ~ ' in dbt_project/macros/' ~ file_name
    ) }}
{%- endmacro %}
