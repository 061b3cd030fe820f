{#- True when the text expression contains one of the words or phrases as whole words, case-insensitively
    ("Ready for QA" says ready; "Unblocked" does not say blocked). Typographic apostrophes count as '. -#}
{% macro says_any_word(text_expression, words) -%}
    {%- set escaped = [] -%}
    {%- for word in words -%}
        {%- do escaped.append(word | lower | replace("'", "''")) -%}
    {%- endfor -%}
    {%- set pattern = "(^|[^a-z0-9''])(" ~ (escaped | join('|')) ~ ")($|[^a-z0-9''])" -%}
    {%- set normalized = "replace(lower(" ~ text_expression ~ "), '’', '''')" -%}
    {{ return(adapter.dispatch('says_any_word')(normalized, pattern)) }}
{%- endmacro %}

{% macro postgres__says_any_word(normalized_expression, pattern) -%}
    coalesce(({{ normalized_expression }}) ~ '{{ pattern }}', false)
{%- endmacro %}

{% macro duckdb__says_any_word(normalized_expression, pattern) -%}
    coalesce(regexp_matches({{ normalized_expression }}, '{{ pattern }}'), false)
{%- endmacro %}

{% macro default__says_any_word(normalized_expression, pattern) -%}
    {{ raise_missing_variant('says_any_word', 'says_any_word.sql') }}
{%- endmacro %}
