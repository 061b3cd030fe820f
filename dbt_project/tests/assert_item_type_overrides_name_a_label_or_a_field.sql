{#- A flow_item_type_mappings row overrides by a label or by a field's value, never both, and a field override
    names its value: such a row would match nothing and be silently ignored. -#}

select
    source,
    project_key,
    item_type,
    label,
    field,
    field_value,
    flow_item_type
from {{ ref('flow_item_type_mappings') }}
where
    (label is not null and field is not null)
    or (field is null and field_value is not null)
    or (field is not null and field_value is null)
