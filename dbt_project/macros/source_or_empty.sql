{#- `select * from` a dbt source table when it exists in the warehouse, else an empty set with the given
    columns (`{name: type}`), so a tracker nobody configured (no raw tables landed yet) builds as empty
    staging views instead of failing the whole project. A listed column the table does not have yet (dlt adds
    a new column only with the first load that carries it) is selected as a typed null. `source()` is always
    called, so lineage holds. -#}
{% macro source_or_empty(source_name, table_name, column_types) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set existing = existing_source_relation(relation) -%}
    {%- if existing is not none -%}
        {%- set present = [] -%}
        {%- for column in adapter.get_columns_in_relation(existing) -%}
            {%- do present.append(column.name | lower) -%}
        {%- endfor %}
        select
            *
        {%- for column_name, column_type in column_types.items() if column_name | lower not in present %},
            cast(null as {{ column_type }}) as {{ column_name }}
        {%- endfor %}
        from {{ relation }}
    {%- else -%}
        select
        {%- for column_name, column_type in column_types.items() %}
            cast(null as {{ column_type }}) as {{ column_name }}{{ ',' if not loop.last }}
        {%- endfor %}
        where 1 = 0
    {%- endif -%}
{%- endmacro %}


{#- True when a dbt source table exists in the warehouse (at execution; at parse time: false). For the scope
    listings of the code hosts: a missing listing (landed before sources wrote one) keeps every item, while an
    empty one (nothing configured any more) keeps none. `source()` is always called, so lineage holds. -#}
{% macro source_table_exists(source_name, table_name) -%}
    {{- return(existing_source_relation(source(source_name, table_name)) is not none) -}}
{%- endmacro %}


{% macro existing_source_relation(relation) -%}
    {%- if not execute -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    )) -}}
{%- endmacro %}
