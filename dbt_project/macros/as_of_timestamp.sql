{#- The instant the facts describe, as a naive UTC timestamp expression.
    `var('as_of')` is an ISO UTC timestamp string; null means the start of this dbt invocation
    (`run_started_at`), so every model of one run shares the same instant. -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if as_of is none or (as_of | string | trim | lower) in ('', 'none', 'null') -%}
        {%- set as_of_text = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- else -%}
        {%- set as_of_text = (as_of | string | trim | replace('T', ' ') | replace('Z', '') | replace('+00:00', '')) -%}
    {%- endif -%}
    cast('{{ as_of_text }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
