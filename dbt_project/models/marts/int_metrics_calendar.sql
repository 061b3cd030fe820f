{{ config(schema='intermediate') }}

with

flow_items as (

    select * from {{ ref('fct_flow_items') }}

),

calendar_bounds as (

    select
        min({{ periods_reporting_date('created_at') }}) as first_date,
        {{ periods_reporting_date(as_of_timestamp()) }} as last_date
    from flow_items

),

calendar_days as (

    select {{ periods_generate_days('first_date', 'last_date') }} as day_date
    from calendar_bounds
    where first_date <= last_date

),

day_instants as (

    select
        day_date,
        {{ periods_local_to_utc('cast(day_date as ' ~ dbt.type_timestamp() ~ ')') }} as day_start_at,
        {{ periods_local_to_utc(dbt.dateadd('day', 1, 'cast(day_date as ' ~ dbt.type_timestamp() ~ ')')) }}
            as day_end_at
    from calendar_days

),

period_grains as (

    select 'day' as period_grain
    union all
    select 'week' as period_grain
    union all
    select 'month' as period_grain
    union all
    select 'quarter' as period_grain

),

final as (

    select
        day_instants.day_date,
        period_grains.period_grain,
        case period_grains.period_grain
            when 'day' then day_instants.day_date
            when 'week' then {{ periods_period_start('week', 'day_instants.day_date') }}
            when 'month' then {{ periods_period_start('month', 'day_instants.day_date') }}
            when 'quarter' then {{ periods_period_start('quarter', 'day_instants.day_date') }}
        end as period_start,
        cast(day_instants.day_start_at as {{ dbt.type_timestamp() }}) as day_start_at,
        cast(day_instants.day_end_at as {{ dbt.type_timestamp() }}) as day_end_at
    from day_instants
    cross join period_grains

)

select * from final
