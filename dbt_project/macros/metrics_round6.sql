{#- A metric value rounded to 6 decimals, as a double: what the marts publish. Postgres rounds to a number of
    decimals only a `numeric` (it has no `round(double precision, integer)`), so the default rounds the
    expression as a decimal; DuckDB rounds the double itself. -#}
{% macro metrics_round6(expression) -%}
    {{ return(adapter.dispatch('metrics_round6')(expression)) }}
{%- endmacro %}

{% macro default__metrics_round6(expression) -%}
    cast(round(cast({{ expression }} as numeric), 6) as {{ metrics_type_double() }})
{%- endmacro %}

{% macro duckdb__metrics_round6(expression) -%}
    round(cast({{ expression }} as {{ metrics_type_double() }}), 6)
{%- endmacro %}
