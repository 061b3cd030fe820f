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
