{#- True when a Jira changelog label list (label names separated by spaces; Jira labels hold no spaces) holds one
    of the names as a whole label, case-insensitively: "Blocked" counts, "unblocked" and "blocked-by-x" do not.
    Null or empty lists hold none. -#}
{% macro jira_label_list_has_any(label_list_expression, names) -%}
    {%- if names | length == 0 -%}
        false
    {%- else -%}
        {%- set padded_list = dbt.concat(["' '", "lower(coalesce(" ~ label_list_expression ~ ", ''))", "' '"]) -%}
        (
        {%- for name in names %}
            {{ dbt.position("' " ~ (name | lower | trim | replace("'", "''")) ~ " '", padded_list) | trim }} > 0
            {{- ' or' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}
