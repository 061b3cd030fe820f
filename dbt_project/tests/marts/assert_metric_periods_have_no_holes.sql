-- Spec section 5: every period of each grain from the value stream's first work item to as-of has a row.
-- Checks the zero-fill spine of the metric marts: consecutive periods one grain apart, the first period
-- holding the value stream's first work item and the last one holding the as-of day, in every mart.

-- Shown in Dagster as an asset check on the model it judges.
{{ config(meta={'dagster': {'ref': {'name': 'metrics_flow_velocity'}}}) }}

with

fct_flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

mart_periods as (

    select distinct
        'metrics_flow_velocity' as mart_name,
        value_stream,
        period_grain,
        period_start
    from {{ ref('metrics_flow_velocity') }}
    where flow_item_type = 'all'

    union all

    select distinct
        'metrics_flow_time' as mart_name,
        value_stream,
        period_grain,
        period_start
    from {{ ref('metrics_flow_time') }}
    where flow_item_type = 'all'

    union all

    select distinct
        'metrics_flow_efficiency' as mart_name,
        value_stream,
        period_grain,
        period_start
    from {{ ref('metrics_flow_efficiency') }}
    where flow_item_type = 'all'

    union all

    select distinct
        'metrics_flow_load' as mart_name,
        value_stream,
        period_grain,
        period_start
    from {{ ref('metrics_flow_load') }}
    where flow_item_type = 'all'

),

mart_names as (

    select distinct mart_name
    from mart_periods

),

value_stream_bounds as (

    select
        value_stream,
        min({{ periods_reporting_date('created_at') }}) as first_date
    from fct_flow_items
    group by value_stream

    union all

    select
        'all' as value_stream,
        min({{ periods_reporting_date('created_at') }}) as first_date
    from fct_flow_items

),

sequenced_periods as (

    select
        mart_name,
        value_stream,
        period_grain,
        period_start,
        lead(period_start) over mart_grain as next_period_start,
        case period_grain
            when 'day' then cast({{ dbt.dateadd('day', 1, 'period_start') }} as date)
            when 'week' then cast({{ dbt.dateadd('day', 7, 'period_start') }} as date)
            when 'month' then cast({{ dbt.dateadd('month', 1, 'period_start') }} as date)
            when 'quarter' then cast({{ dbt.dateadd('month', 3, 'period_start') }} as date)
        end as expected_next_period_start,
        row_number() over mart_grain as period_number
    from mart_periods
    window mart_grain as (partition by mart_name, value_stream, period_grain order by period_start)

),

holes as (

    select
        mart_name,
        value_stream,
        period_grain,
        period_start,
        'hole after this period' as problem
    from sequenced_periods
    where
        next_period_start is not null
        and next_period_start != expected_next_period_start

),

bounds_checked as (

    select
        sequenced_periods.mart_name,
        sequenced_periods.value_stream,
        sequenced_periods.period_grain,
        min(sequenced_periods.period_start) as first_period_start,
        max(
            case when sequenced_periods.period_number = 1 then sequenced_periods.expected_next_period_start end
        ) as after_first_period,
        max(sequenced_periods.expected_next_period_start) as after_last_period,
        min(value_stream_bounds.first_date) as first_date
    from sequenced_periods
    inner join value_stream_bounds
        on sequenced_periods.value_stream = value_stream_bounds.value_stream
    group by
        sequenced_periods.mart_name,
        sequenced_periods.value_stream,
        sequenced_periods.period_grain

),

bound_problems as (

    select
        mart_name,
        value_stream,
        period_grain,
        first_period_start as period_start,
        'first period does not hold the first work item' as problem
    from bounds_checked
    where
        first_period_start > first_date
        or after_first_period <= first_date

    union all

    select
        mart_name,
        value_stream,
        period_grain,
        after_last_period as period_start,
        'last period does not hold the as-of day' as problem
    from bounds_checked
    where
        after_last_period <= {{ periods_reporting_date(as_of_timestamp()) }}
        or first_period_start > {{ periods_reporting_date(as_of_timestamp()) }}

),

missing_value_streams as (

    select
        mart_names.mart_name,
        value_stream_bounds.value_stream,
        'day' as period_grain,
        value_stream_bounds.first_date as period_start,
        'value stream missing' as problem
    from value_stream_bounds
    cross join mart_names
    left join bounds_checked
        on
            value_stream_bounds.value_stream = bounds_checked.value_stream
            and mart_names.mart_name = bounds_checked.mart_name
    where bounds_checked.value_stream is null

),

final as (

    select * from holes
    union all
    select * from bound_problems
    union all
    select * from missing_value_streams

)

select * from final
