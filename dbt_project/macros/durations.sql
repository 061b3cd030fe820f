{#- Fractional days between two timestamps (millisecond precision), portable through dbt.datediff. -#}
{% macro fractional_days_between(start_expression, end_expression) -%}
    {{ days_from_milliseconds(dbt.datediff(start_expression, end_expression, 'millisecond')) }}
{%- endmacro %}

{#- Fractional days of a whole number of milliseconds. -#}
{% macro days_from_milliseconds(milliseconds_expression) -%}
    (({{ milliseconds_expression }}) / 86400000.0)
{%- endmacro %}

{#- Fractional hours between two timestamps (millisecond precision). -#}
{% macro fractional_hours_between(start_expression, end_expression) -%}
    {{ hours_from_milliseconds(dbt.datediff(start_expression, end_expression, 'millisecond')) }}
{%- endmacro %}

{#- Fractional hours of a whole number of milliseconds. -#}
{% macro hours_from_milliseconds(milliseconds_expression) -%}
    (({{ milliseconds_expression }}) / 3600000.0)
{%- endmacro %}

{#- Days since Monday 1900-01-01 of a date expression: the base of the weekday arithmetic below. -#}
{% macro days_since_monday_epoch(date_expression) -%}
    {{ dbt.datediff("cast('1900-01-01' as date)", date_expression, 'day') }}
{%- endmacro %}

{#- Number of Mondays-to-Fridays strictly before a date, counted from 1900-01-01 (a Monday). -#}
{% macro weekdays_before(date_expression) -%}
    (5 * floor({{ days_since_monday_epoch(date_expression) }} / 7)
        + least({{ days_since_monday_epoch(date_expression) }} % 7, 5))
{%- endmacro %}

{#- True when a date is a Monday to Friday. -#}
{% macro is_weekday(date_expression) -%}
    ({{ days_since_monday_epoch(date_expression) }} % 7 < 5)
{%- endmacro %}
