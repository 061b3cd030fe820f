{#- The instant the facts describe, as a naive UTC timestamp expression.
    From the first that is set: `var('as_of')` (an ISO UTC timestamp string, e.g. `dbt build --vars ...`),
    the `VSM_AS_OF` environment variable (how `vsm refresh` passes it), else the start of this dbt invocation
    (`run_started_at`), so every model of one run shares the same instant.
    `VSM_AS_OF` is read only when executing: a value that changes every run must not reach the parsed
    manifest, or dbt would re-parse the whole project on every refresh (`--vars` changes do the same). -#}
{% macro as_of_timestamp() -%}
    {%- set as_of = var('as_of', none) -%}
    {%- if _as_of_is_unset(as_of) and execute -%}
        {%- set as_of = env_var('VSM_AS_OF', '') -%}
    {%- endif -%}
    {%- if _as_of_is_unset(as_of) -%}
        {%- set as_of_text = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- else -%}
        {%- set as_of_text = (as_of | string | trim | replace('T', ' ') | replace('Z', '') | replace('+00:00', '')) -%}
    {%- endif -%}
    cast('{{ as_of_text }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro _as_of_is_unset(value) -%}
    {{- return(value is none or (value | string | trim | lower) in ('', 'none', 'null')) -}}
{%- endmacro %}
