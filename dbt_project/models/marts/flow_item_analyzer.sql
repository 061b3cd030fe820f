with

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

int_metrics_completed_items as (

    select * from {{ ref('int_metrics_completed_items') }}

),

{# The value stream's recent flow time, so an open item's age reads against what its stream usually takes. #}
recent_flow_times as (

    select
        value_stream,
        count(*) as recent_completed_items,
        {{ metrics_percentile('flow_time_days', 0.85) }} as recent_flow_time_p85_days
    from int_metrics_completed_items
    where
        completed_at > {{ dbt.dateadd('day', -1 * var('flow_item_analyzer_window_days', 90), as_of_timestamp()) }}
        and completed_at <= {{ as_of_timestamp() }}
    group by value_stream

),

open_started_items as (

    select
        source,
        item_id,
        item_key,
        item_url,
        value_stream,
        portfolio,
        project_key,
        item_type,
        flow_item_type,
        current_tool_state,
        current_flow_state,
        current_state_entered_at,
        work_started_at,
        age_days,
        time_in_current_state_days,
        is_flagged
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and not is_done
        and not is_canceled
        and work_started_at is not null

),

final as (

    select
        open_started_items.source,
        open_started_items.item_id,
        open_started_items.value_stream,
        open_started_items.portfolio,
        open_started_items.project_key,
        open_started_items.item_key,
        open_started_items.item_url,
        open_started_items.item_type,
        open_started_items.flow_item_type,
        open_started_items.current_tool_state,
        open_started_items.current_flow_state,
        open_started_items.current_state_entered_at,
        open_started_items.work_started_at,
        cast(open_started_items.age_days as {{ metrics_type_double() }}) as age_days,
        cast(open_started_items.time_in_current_state_days as {{ metrics_type_double() }})
            as time_in_current_state_days,
        open_started_items.is_flagged,
        recent_flow_times.recent_flow_time_p85_days,
        coalesce(open_started_items.age_days > recent_flow_times.recent_flow_time_p85_days, false)
            as is_older_than_recent_p85
    from open_started_items
    left join recent_flow_times
        on open_started_items.value_stream = recent_flow_times.value_stream

)

select * from final
