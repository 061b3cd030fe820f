{#- A `timestamp with time zone` expression as the naive UTC timestamp every model compares with.
    Comparing the two types directly reads the naive side in the session's time zone, which is the host's
    unless the profile sets one: an instant would depend on where dbt runs. -#}
{% macro timestamptz_to_utc(timestamptz_expression) -%}
    {{ return(adapter.dispatch('timestamptz_to_utc')(timestamptz_expression)) }}
{%- endmacro %}

{% macro default__timestamptz_to_utc(timestamptz_expression) -%}
    (({{ timestamptz_expression }}) at time zone 'UTC')
{%- endmacro %}
