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

{#- Written for DuckDB and Postgres only: another engine gets this error, naming what to add, rather
    than SQL it cannot run. -#}
{% macro default__says_any_word(normalized_expression, pattern) -%}
    {{ exceptions.raise_compiler_error(
        'says_any_word has no variant for ' ~ target.type ~ ': add a macro ' ~ target.type ~ '__says_any_word'
        ~ ' in dbt_project/macros/says_any_word.sql'
    ) }}
{%- endmacro %}
