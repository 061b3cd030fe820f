{#- The order of an item's status changes (spec section 3: by changed_at, then the change's id, whatever order
    the tracker returned them in). `change_sequence` is the change's id as a number (Jira's history id, a
    git tracker's signal position), so "1-9" sorts before "1-10"; it is unique per item (a data test on
    int_status_changes_unioned holds it), so it settles every tie and the id's text is not needed in the
    sort. Used by every model that orders the changes, so they agree on it. Nulls sort last on every engine
    (BigQuery and Databricks sort them first by default): a change without a time is never an item's first
    (not_null tests on the staging models stop a build that has one). -#}
{% macro status_change_order(relation=none) -%}
    {%- set prefix = relation ~ '.' if relation else '' -%}
    {{ prefix }}changed_at asc nulls last, {{ prefix }}change_sequence asc nulls last
{%- endmacro %}
