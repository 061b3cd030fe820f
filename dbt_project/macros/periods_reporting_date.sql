{#- The reporting-time-zone calendar date of a naive UTC timestamp expression. -#}
{% macro periods_reporting_date(timestamp_expression) -%}
    cast({{ to_reporting_time_zone(timestamp_expression) }} as date)
{%- endmacro %}
