{#- The spec's default flow model (section 2), in one place. Overrides live in the seeds. -#}

{#- Default flow item type of a tracker item type name, matched case-insensitively; null when unknown. -#}
{% macro default_flow_item_type(item_type_expression) -%}
    case
        when lower(trim({{ item_type_expression }})) in (
            'story', 'feature', 'epic', 'new feature', 'requirement', 'task'
        ) then 'feature'
        when lower(trim({{ item_type_expression }})) in ('bug', 'defect', 'incident', 'problem') then 'defect'
        when lower(trim({{ item_type_expression }})) in ('vulnerability', 'security', 'risk', 'compliance')
            then 'risk'
        when lower(trim({{ item_type_expression }})) in (
            'technical debt', 'tech debt', 'refactor', 'chore', 'upgrade'
        ) then 'debt'
        when lower(trim({{ item_type_expression }})) = 'sub-task' then 'none'
    end
{%- endmacro %}

{#- Words that make a tool state name say "waiting" (indeterminate category only). -#}
{% macro waiting_state_words() -%}
    {{ return(['ready', 'waiting', 'awaiting', 'pending', 'blocked', 'on hold', 'queue', 'queued',
               'to review', 'to test', 'to deploy']) }}
{%- endmacro %}

{#- Words that make a tool state name say "canceled" (any category; they win over waiting words). -#}
{% macro canceled_state_words() -%}
    {{ return(['cancel', 'canceled', 'cancelled', "won't", 'wont', 'reject', 'rejected', 'descoped',
               'obsolete', 'duplicate', 'invalid']) }}
{%- endmacro %}

{#- Default flow state of a tool state from its status category and name. A name that says canceled makes it
    canceled whatever the category, even an unknown one; otherwise an unknown category leaves it unmapped. -#}
{% macro default_flow_state(tool_state_expression, category_expression) -%}
    case
        when {{ says_any_word(tool_state_expression, canceled_state_words()) }} then 'canceled'
        when {{ category_expression }} is null then null
        when {{ category_expression }} = 'new' then 'new'
        when {{ category_expression }} = 'done' then 'done'
        when {{ category_expression }} = 'indeterminate'
            and {{ says_any_word(tool_state_expression, waiting_state_words()) }} then 'waiting'
        when {{ category_expression }} = 'indeterminate' then 'active'
    end
{%- endmacro %}

{#- True when a resolution name turns a done-category stay into canceled. -#}
{% macro is_canceling_resolution(resolution_expression) -%}
    coalesce(replace(lower(trim({{ resolution_expression }})), '’', '''') in (
        'won''t do', 'won''t fix', 'duplicate', 'cannot reproduce', 'declined'
    ), false)
{%- endmacro %}
