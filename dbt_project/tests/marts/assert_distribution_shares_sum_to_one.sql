-- Spec section 7: the non-null shares of one value stream and period sum to 1 (both velocity and load).
-- Shown in Dagster as an asset check on the model it judges.
{{ config(meta={'dagster': {'ref': {'name': 'metrics_flow_distribution'}}}) }}

with

metrics_flow_distribution as (

    select * from {{ ref('metrics_flow_distribution') }}

),

share_sums as (

    select
        value_stream,
        period_grain,
        period_start,
        sum(velocity_share) as velocity_share_sum,
        sum(load_share) as load_share_sum
    from metrics_flow_distribution
    group by
        value_stream,
        period_grain,
        period_start

),

final as (

    select *
    from share_sums
    where
        abs(coalesce(velocity_share_sum, 1) - 1) > 1e-9
        or abs(coalesce(load_share_sum, 1) - 1) > 1e-9

)

select * from final
