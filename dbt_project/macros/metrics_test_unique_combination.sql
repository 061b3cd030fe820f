{#- Generic test: the combination of `combination_of_columns` is unique (dbt_utils is not installed). -#}
{% test unique_combination(model, combination_of_columns) %}

    select
        {{ combination_of_columns | join(', ') }},
        count(*) as duplicate_rows
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
    having count(*) > 1

{% endtest %}
