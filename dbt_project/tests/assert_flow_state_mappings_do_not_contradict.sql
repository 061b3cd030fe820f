{#- Two flow_state_mappings rows for one tool state, equally specific (the same source, project and item type,
    matched as int_tool_states_mapped matches them) but with different flow states: only one can apply, and
    which one would be an accident of sorting. Each such group is a row to fix in the seed. -#}

select
    source,
    coalesce(project_key, '') as project_key,
    lower(trim(coalesce(item_type, ''))) as item_type,
    lower(trim(tool_state)) as tool_state,
    count(distinct flow_state) as flow_states
from {{ ref('flow_state_mappings') }}
group by
    source,
    coalesce(project_key, ''),
    lower(trim(coalesce(item_type, ''))),
    lower(trim(tool_state))
having count(distinct flow_state) > 1
