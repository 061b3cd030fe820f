{{ config(schema='intermediate') }}

with

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

final as (

    select
        source,
        item_id,
        item_key,
        value_stream,
        flow_item_type,
        completed_at,
        {{ periods_reporting_date('completed_at') }} as completed_date,
        cast(flow_time_days as {{ metrics_type_double() }}) as flow_time_days,
        cast(flow_time_business_days as {{ metrics_type_double() }}) as flow_time_business_days,
        cast(active_time_days as {{ metrics_type_double() }}) as active_time_days,
        cast(flow_efficiency as {{ metrics_type_double() }}) as flow_efficiency
    from fct_flow_items
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and is_done
        and completed_at is not null
        and flow_time_days is not null

)

select * from final
