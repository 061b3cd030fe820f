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

{#- The median of exact decimal(38, 9) values from the two middle values of their order (the same value twice
    for an odd count), as a double: exactly percentile_cont(0.5) on them, which DuckDB interpolates as the
    lower value plus half the gap truncated to the ninth decimal. For aggregates too large to keep every
    group's values in memory (see metrics_bottlenecks). -#}
{% macro metrics_median_of_middle(lower_expression, upper_expression) -%}
    cast(
        ({{ lower_expression }})
        + floor((({{ upper_expression }}) - ({{ lower_expression }})) * 500000000) * 0.000000001
        as {{ metrics_type_double() }}
    )
{%- endmacro %}
