{#- Converts a naive UTC timestamp expression to the naive wall-clock time of the reporting time zone
    (`var('reporting_time_zone')`, an IANA name), so day boundaries fall on local midnight. -#}
{% macro to_reporting_time_zone(timestamp_expression) -%}
    {#- UTC wall-clock time is the UTC timestamp itself: no per-row time-zone lookup. -#}
    {%- if var("reporting_time_zone", "UTC") | upper == "UTC" -%}
        {{ return("(" ~ timestamp_expression ~ ")") }}
    {%- endif -%}
    {{ return(adapter.dispatch('to_reporting_time_zone')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__to_reporting_time_zone(timestamp_expression) -%}
    (({{ timestamp_expression }}) at time zone 'UTC') at time zone '{{ var("reporting_time_zone", "UTC") }}'
{%- endmacro %}

{% macro duckdb__to_reporting_time_zone(timestamp_expression) -%}
    timezone('{{ var("reporting_time_zone", "UTC") }}', ({{ timestamp_expression }}) at time zone 'UTC')
{%- endmacro %}
