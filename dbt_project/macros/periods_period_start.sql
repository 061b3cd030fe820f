{#- The first day of the `grain` period ('week', 'month' or 'quarter') that contains `day_expression`, a date.
    Weeks are ISO weeks, starting on Monday (spec section 5). The calendar and every model that assigns days to
    periods use this one definition, so a period starts in the same place wherever it is computed. -#}
{% macro periods_period_start(grain, day_expression) -%}
    {{ return(adapter.dispatch('periods_period_start')(grain, day_expression)) }}
{%- endmacro %}

{% macro default__periods_period_start(grain, day_expression) -%}
    cast({{ dbt.date_trunc(grain, day_expression) }} as date)
{%- endmacro %}

{#- BigQuery's week starts on Sunday; its ISO week is `isoweek` (no BigQuery target runs here yet). -#}
{% macro bigquery__periods_period_start(grain, day_expression) -%}
    {%- if grain == 'week' -%}
        date_trunc(cast({{ day_expression }} as date), isoweek)
    {%- else -%}
        {{ default__periods_period_start(grain, day_expression) }}
    {%- endif -%}
{%- endmacro %}
