{#- The tool-state category of a synthetic git-tracker state (GitHub, GitLab): `Open` is new, `Done` and
    `Canceled` are done, everything else (In Progress, In Review, Reopened, status labels) indeterminate. -#}
{% macro git_tool_state_category(tool_state_expression) -%}
    case
        when {{ tool_state_expression }} is null then null
        when {{ tool_state_expression }} = 'Open' then 'new'
        when {{ tool_state_expression }} in ('Done', 'Canceled') then 'done'
        else 'indeterminate'
    end
{%- endmacro %}

{#- True when a label names a workflow status: it starts with one of the prefixes (case-insensitive). -#}
{% macro is_status_label(label_expression, prefixes) -%}
    {%- if prefixes | length == 0 -%}
        false
    {%- else -%}
        coalesce(
        {%- for prefix in prefixes %}
            lower({{ label_expression }}) like '{{ prefix | lower | replace("'", "''") }}%'{{ ' or' if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}

{#- True when a label marks an item blocked (one of the names, case-insensitive, whole label). -#}
{% macro is_blocked_label(label_expression, names) -%}
    {%- if names | length == 0 -%}
        false
    {%- else -%}
        coalesce(lower(trim({{ label_expression }})) in (
        {%- for name in names -%}
            '{{ name | lower | replace("'", "''") }}'{{ ', ' if not loop.last }}
        {%- endfor -%}
        ), false)
    {%- endif -%}
{%- endmacro %}

{#- True when a JSON array of label names (text) holds one of the names, case-insensitively. -#}
{% macro labels_json_has_any(labels_json_expression, names) -%}
    {%- if names | length == 0 -%}
        false
    {%- else -%}
        coalesce(
        {%- for name in names %}
            lower({{ labels_json_expression }}) like '%"{{ name | lower | replace("'", "''") }}"%'{{ ' or' if not loop.last }}
        {%- endfor %}
        , false)
    {%- endif -%}
{%- endmacro %}
