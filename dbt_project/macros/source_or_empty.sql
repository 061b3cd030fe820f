{#- `select * from` a dbt source table when it exists in the warehouse, else an empty set with the given
    columns (`{name: type}`), so a tracker nobody configured (no raw tables landed yet) builds as empty
    staging views instead of failing the whole project. `source()` is always called, so lineage holds. -#}
{% macro source_or_empty(source_name, table_name, column_types) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = relation -%}
    {%- if execute -%}
        {%- set existing = adapter.get_relation(
            database=relation.database, schema=relation.schema, identifier=relation.identifier
        ) -%}
    {%- endif -%}
    {%- if existing is not none -%}
        select * from {{ relation }}
    {%- else -%}
        select
        {%- for column_name, column_type in column_types.items() %}
            cast(null as {{ column_type }}) as {{ column_name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}
