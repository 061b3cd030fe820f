{{ config(schema='intermediate') }}

{# Hours per flow item, tool state and reporting day, for stays in states mapped waiting or active only:
    the only per-item-per-day rows the marts materialise (new and done states would grow without bound). #}
with

fct_state_intervals as (

    select * from {{ ref('fct_state_intervals') }}

),

int_metrics_calendar as (

    select * from {{ ref('int_metrics_calendar') }}

),

workflow_stays as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        flow_state,
        entered_at,
        coalesce(exited_at, {{ as_of_timestamp() }}) as left_at,
        entered_date as first_date,
        {{ periods_reporting_date('coalesce(exited_at, ' ~ as_of_timestamp() ~ ')') }} as last_date
    from fct_state_intervals
    where
        flow_item_type in ({{ metrics_flow_item_types_sql() }})
        and tool_state_flow_state in ('waiting', 'active')
        and coalesce(exited_at, {{ as_of_timestamp() }}) > entered_at

),

stay_days as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        flow_state,
        entered_at,
        left_at,
        {{ periods_generate_days('first_date', 'last_date') }} as day_date
    from workflow_stays

),

clipped_stay_days as (

    select
        stay_days.source,
        stay_days.item_id,
        stay_days.value_stream,
        stay_days.tool_state,
        stay_days.day_date,
        stay_days.flow_state,
        {{ dbt.datediff(
            'greatest(stay_days.entered_at, int_metrics_calendar.day_start_at)',
            'least(stay_days.left_at, int_metrics_calendar.day_end_at)',
            'millisecond'
        ) }} as milliseconds
    from stay_days
    inner join int_metrics_calendar
        on
            stay_days.day_date = int_metrics_calendar.day_date
            and int_metrics_calendar.period_grain = 'day'

),

final as (

    select
        source,
        item_id,
        value_stream,
        tool_state,
        day_date,
        cast({{ hours_from_milliseconds('sum(milliseconds)') }} as {{ metrics_type_double() }}) as hours,
        cast(
            {{ hours_from_milliseconds("sum(case when flow_state = 'waiting' then milliseconds else 0 end)") }}
            as {{ metrics_type_double() }}
        ) as waiting_hours,
        cast(sum(milliseconds) as {{ dbt.type_bigint() }}) as milliseconds
    from clipped_stay_days
    where milliseconds > 0
    group by
        source,
        item_id,
        value_stream,
        tool_state,
        day_date

)

select * from final
