{#- The type double-valued durations are cast to before they are summed or averaged. Decimal addition is exact,
    so a sum no longer depends on the order parallel threads add its terms: two runs on the same input give
    bit-identical marts (spec section 7). Nine decimals is far below a millisecond in hours or days. -#}
{% macro metrics_exact_decimal() -%}
    decimal(38, 9)
{%- endmacro %}
