{#- True when a JSON array of strings, as the sources write it (orjson: only `"`, `\` and control characters
    escaped), holds the value as a whole element, case-insensitively. Reads the text, parses nothing: cheap
    enough to test every row. Null arrays or values hold nothing. -#}
{% macro json_text_array_has(json_array_expression, value_expression) -%}
    {%- set escaped_value = "replace(replace(lower(trim(" ~ value_expression ~ ")), '\\', '\\\\'), '\"', '\\\"')" -%}
    coalesce(
        {{ dbt.position(dbt.concat(["'\"'", escaped_value, "'\"'"]), "lower(" ~ json_array_expression ~ ")") }} > 0,
        false
    )
{%- endmacro %}
