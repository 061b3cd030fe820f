{#- Use the folder's schema name as is (staging, intermediate, marts, flow_model), so BI tools
    query the published names of the spec's section 8 and not a target-prefixed variant. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
