{#- Converts a naive wall-clock timestamp of the reporting time zone (`var('reporting_time_zone')`) to
    naive UTC: the inverse of `to_reporting_time_zone`, used for the UTC instants of local midnights. -#}
{% macro periods_local_to_utc(timestamp_expression) -%}
    {#- UTC wall-clock time is the UTC timestamp itself: no per-row time-zone lookup. -#}
    {%- if var("reporting_time_zone", "UTC") | upper == "UTC" -%}
        {{ return("(" ~ timestamp_expression ~ ")") }}
    {%- endif -%}
    {{ return(adapter.dispatch('periods_local_to_utc')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__periods_local_to_utc(timestamp_expression) -%}
    (({{ timestamp_expression }}) at time zone '{{ var("reporting_time_zone", "UTC") }}') at time zone 'UTC'
{%- endmacro %}

{% macro duckdb__periods_local_to_utc(timestamp_expression) -%}
    timezone('UTC', timezone('{{ var("reporting_time_zone", "UTC") }}', {{ timestamp_expression }}))
{%- endmacro %}
