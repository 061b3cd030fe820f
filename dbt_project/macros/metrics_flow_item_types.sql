{#- The flow item types a metric counts, in display order. Work items typed `none` or unmapped (null)
    are kept in the facts but never counted. -#}
{% macro metrics_flow_item_types() -%}
    {{ return(['feature', 'defect', 'risk', 'debt']) }}
{%- endmacro %}

{#- `'feature', 'defect', 'risk', 'debt'` for an `in (...)` filter. -#}
{% macro metrics_flow_item_types_sql() -%}
    {%- for flow_item_type in metrics_flow_item_types() -%}
        '{{ flow_item_type }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- A relation with one row per reported flow item type (the four types, plus `all` when asked). -#}
{% macro metrics_flow_item_type_rows(include_all=true) -%}
    {%- set flow_item_types = metrics_flow_item_types() + (['all'] if include_all else []) -%}
    {%- for flow_item_type in flow_item_types %}
    select '{{ flow_item_type }}' as flow_item_type
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}
