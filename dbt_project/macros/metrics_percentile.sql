{#- Continuous percentile (linear interpolation) of `expression`, as a double. The ordered-set form runs
    on DuckDB, Postgres and most cloud warehouses; adapters without it override `<adapter>__metrics_percentile`. -#}
{% macro metrics_percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('metrics_percentile')(expression, fraction)) }}
{%- endmacro %}

{% macro default__metrics_percentile(expression, fraction) -%}
    cast(percentile_cont({{ fraction }}) within group (order by {{ expression }}) as {{ metrics_type_double() }})
{%- endmacro %}

{#- The 8-byte floating point type (`float` is 4 bytes in DuckDB). -#}
{% macro metrics_type_double() -%}
    {{ return(adapter.dispatch('metrics_type_double')()) }}
{%- endmacro %}

{% macro default__metrics_type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__metrics_type_double() -%}
    double
{%- endmacro %}

{#- Continuous percentiles of one expression at several fractions, as one list read with metrics_list_element
    (1-based): one sorted value list per group serves every fraction. percentile_cont once per fraction keeps a
    list per fraction, and at 1M issues the six lists per group of metrics_flow_time ran out of memory under
    the build's limit. Adapters without an array form override `<adapter>__metrics_percentiles`. -#}
{% macro metrics_percentiles(expression, fractions) -%}
    {{ return(adapter.dispatch('metrics_percentiles')(expression, fractions)) }}
{%- endmacro %}

{% macro postgres__metrics_percentiles(expression, fractions) -%}
    percentile_cont(cast(array[{{ fractions | join(', ') }}] as {{ metrics_type_double() }}[]))
    within group (order by {{ expression }})
{%- endmacro %}

{% macro duckdb__metrics_percentiles(expression, fractions) -%}
    quantile_cont({{ expression }}, [{{ fractions | join(', ') }}])
{%- endmacro %}

{#- The element at `position` (1-based) of a list or array expression. -#}
{% macro metrics_list_element(list_expression, position) -%}
    ({{ list_expression }})[{{ position }}]
{%- endmacro %}

{% macro default__metrics_percentiles(expression, fractions) -%}
    {{ raise_missing_variant('metrics_percentiles', 'metrics_percentile.sql') }}
{%- endmacro %}
