with

int_metrics_completed_items as (

    select * from {{ ref('int_metrics_completed_items') }}

),

metrics_flow_velocity as (

    select * from {{ ref('metrics_flow_velocity') }}

),

metrics_flow_load as (

    select * from {{ ref('metrics_flow_load') }}

),

summary_window as (

    select
        cast(
            {{ dbt.dateadd('day', 1 - var('summary_window_days', 90), periods_reporting_date(as_of_timestamp())) }}
            as date
        ) as window_start,
        {{ periods_reporting_date(as_of_timestamp()) }} as window_end

),

velocity_in_window as (

    select
        metrics_flow_velocity.value_stream,
        -- `case` rather than `filter (where ...)`, which BigQuery lacks: the same sums (null without a row).
        sum(
            case when metrics_flow_velocity.flow_item_type = 'all' then metrics_flow_velocity.completed end
        ) as completed,
        sum(
            case when metrics_flow_velocity.flow_item_type = 'all' then metrics_flow_velocity.flow_velocity end
        ) as flow_velocity,
        {% for flow_item_type in metrics_flow_item_types() -%}
            sum(
                case
                    when metrics_flow_velocity.flow_item_type = '{{ flow_item_type }}'
                        then metrics_flow_velocity.completed
                end
            ) as {{ flow_item_type }}_completed,
        {% endfor -%}
        min(summary_window.window_start) as window_start,
        min(summary_window.window_end) as window_end
    from metrics_flow_velocity
    cross join summary_window
    where
        metrics_flow_velocity.period_grain = 'day'
        and metrics_flow_velocity.period_start between summary_window.window_start and summary_window.window_end
    group by metrics_flow_velocity.value_stream

),

load_in_window as (

    select
        metrics_flow_load.value_stream,
        avg(metrics_flow_load.flow_load) as avg_flow_load
    from metrics_flow_load
    cross join summary_window
    where
        metrics_flow_load.period_grain = 'day'
        and metrics_flow_load.flow_item_type = 'all'
        and metrics_flow_load.period_start between summary_window.window_start and summary_window.window_end
    group by metrics_flow_load.value_stream

),

completed_in_window as (

    select int_metrics_completed_items.*
    from int_metrics_completed_items
    cross join summary_window
    where int_metrics_completed_items.completed_date between summary_window.window_start and summary_window.window_end

),

flow_time_in_window as (

    select
        coalesce(value_stream, 'all') as value_stream,
        {{ metrics_percentile('flow_time_days', 0.5) }} as median_flow_time_days,
        {{ metrics_percentile('flow_time_days', 0.85) }} as p85_flow_time_days,
        sum(cast(active_time_days as {{ metrics_exact_decimal() }}))
        / nullif(sum(cast(flow_time_days as {{ metrics_exact_decimal() }})), 0) as flow_efficiency
    from completed_in_window
    group by rollup(value_stream)

),

final as (

    select
        velocity_in_window.value_stream,
        velocity_in_window.window_start,
        velocity_in_window.window_end,
        cast(coalesce(velocity_in_window.completed, 0) as bigint) as completed,
        cast(coalesce(velocity_in_window.flow_velocity, 0) as bigint) as flow_velocity,
        flow_time_in_window.median_flow_time_days,
        flow_time_in_window.p85_flow_time_days,
        {{ metrics_round6('flow_time_in_window.flow_efficiency') }} as flow_efficiency,
        load_in_window.avg_flow_load,
        cast(velocity_in_window.feature_completed as {{ metrics_type_double() }})
        / nullif(velocity_in_window.completed, 0) as feature_share,
        cast(velocity_in_window.defect_completed as {{ metrics_type_double() }})
        / nullif(velocity_in_window.completed, 0) as defect_share,
        cast(velocity_in_window.risk_completed as {{ metrics_type_double() }})
        / nullif(velocity_in_window.completed, 0) as risk_share,
        cast(velocity_in_window.debt_completed as {{ metrics_type_double() }})
        / nullif(velocity_in_window.completed, 0) as debt_share
    from velocity_in_window
    left join flow_time_in_window
        on velocity_in_window.value_stream = flow_time_in_window.value_stream
    left join load_in_window
        on velocity_in_window.value_stream = load_in_window.value_stream

)

select * from final
