{{ config(schema='intermediate') }}

{# The exact median of the items' time in a tool state per period, per value stream and for the portfolio
    ('all'), without sorting every item's value (at 1M issues that sort of ~55M values spilled to disk and took
    a minute). Values are counted in whole-hour buckets first; the bucket that holds a middle rank gives the
    value at once when all its values are equal (a day spent whole in the state, the common case), and only the
    values of the other middle buckets are sorted. #}
with

int_metrics_item_state_days as (

    select * from {{ ref('int_metrics_item_state_days') }}

),

int_metrics_item_state_periods as (

    select * from {{ ref('int_metrics_item_state_periods') }}

),

item_values as (

    {# An item's time in the state in a day, or in a longer period. #}
    select
        value_stream,
        tool_state,
        'day' as period_grain,
        day_date as period_start,
        milliseconds
    from int_metrics_item_state_days

    union all

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        milliseconds
    from int_metrics_item_state_periods

),

item_values_bucketed as (

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        milliseconds,
        cast(floor(milliseconds / 3600000.0) as {{ dbt.type_bigint() }}) as hour_bucket
    from item_values
    where milliseconds > 0

),

value_stream_buckets as (

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket,
        count(*) as bucket_items,
        min(milliseconds) as least_milliseconds,
        max(milliseconds) as greatest_milliseconds
    from item_values_bucketed
    group by
        value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket

),

buckets as (

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket,
        bucket_items,
        least_milliseconds,
        greatest_milliseconds
    from value_stream_buckets

    union all

    select
        'all' as value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket,
        sum(bucket_items) as bucket_items,
        min(least_milliseconds) as least_milliseconds,
        max(greatest_milliseconds) as greatest_milliseconds
    from value_stream_buckets
    group by
        tool_state,
        period_grain,
        period_start,
        hour_bucket

),

buckets_counted as (

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket,
        bucket_items,
        least_milliseconds,
        greatest_milliseconds,
        sum(bucket_items) over (
            partition by value_stream, tool_state, period_grain, period_start
            order by hour_bucket asc
            rows between unbounded preceding and current row
        ) - bucket_items as items_before,
        sum(bucket_items) over (partition by value_stream, tool_state, period_grain, period_start) as items
    from buckets

),

state_periods as (

    select distinct
        value_stream,
        tool_state,
        period_grain,
        period_start,
        items
    from buckets_counted

),

middle_ranks as (

    {# The lower and upper middle rank: one rank twice for an odd count, the middle pair for an even one. #}
    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        items,
        'lower' as middle,
        floor((items + 1) / 2.0) as middle_rank
    from state_periods

    union all

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        items,
        'upper' as middle,
        floor((items + 2) / 2.0) as middle_rank
    from state_periods

),

middle_buckets as (

    select
        middle_ranks.value_stream,
        middle_ranks.tool_state,
        middle_ranks.period_grain,
        middle_ranks.period_start,
        middle_ranks.items,
        middle_ranks.middle,
        buckets_counted.hour_bucket,
        buckets_counted.least_milliseconds,
        buckets_counted.greatest_milliseconds,
        middle_ranks.middle_rank - buckets_counted.items_before as rank_in_bucket
    from middle_ranks
    inner join buckets_counted
        on
            middle_ranks.value_stream = buckets_counted.value_stream
            and middle_ranks.tool_state = buckets_counted.tool_state
            and middle_ranks.period_grain = buckets_counted.period_grain
            and middle_ranks.period_start = buckets_counted.period_start
            and middle_ranks.middle_rank > buckets_counted.items_before
            and middle_ranks.middle_rank <= buckets_counted.items_before + buckets_counted.bucket_items

),

buckets_to_sort as (

    select distinct
        value_stream,
        tool_state,
        period_grain,
        period_start,
        hour_bucket
    from middle_buckets
    where least_milliseconds < greatest_milliseconds

),

bucket_values_ranked as (

    {# A portfolio bucket takes the values of every value stream. #}
    select
        buckets_to_sort.value_stream,
        buckets_to_sort.tool_state,
        buckets_to_sort.period_grain,
        buckets_to_sort.period_start,
        buckets_to_sort.hour_bucket,
        item_values_bucketed.milliseconds,
        row_number() over (
            partition by
                buckets_to_sort.value_stream,
                buckets_to_sort.tool_state,
                buckets_to_sort.period_grain,
                buckets_to_sort.period_start,
                buckets_to_sort.hour_bucket
            order by item_values_bucketed.milliseconds asc
        ) as rank_in_bucket
    from item_values_bucketed
    inner join buckets_to_sort
        on
            item_values_bucketed.tool_state = buckets_to_sort.tool_state
            and item_values_bucketed.period_grain = buckets_to_sort.period_grain
            and item_values_bucketed.period_start = buckets_to_sort.period_start
            and item_values_bucketed.hour_bucket = buckets_to_sort.hour_bucket
            and buckets_to_sort.value_stream in (item_values_bucketed.value_stream, 'all')

),

middle_values as (

    select
        middle_buckets.value_stream,
        middle_buckets.tool_state,
        middle_buckets.period_grain,
        middle_buckets.period_start,
        middle_buckets.items,
        middle_buckets.middle,
        case
            when middle_buckets.least_milliseconds = middle_buckets.greatest_milliseconds
                then middle_buckets.least_milliseconds
            else bucket_values_ranked.milliseconds
        end as milliseconds
    from middle_buckets
    left join bucket_values_ranked
        on
            middle_buckets.value_stream = bucket_values_ranked.value_stream
            and middle_buckets.tool_state = bucket_values_ranked.tool_state
            and middle_buckets.period_grain = bucket_values_ranked.period_grain
            and middle_buckets.period_start = bucket_values_ranked.period_start
            and middle_buckets.hour_bucket = bucket_values_ranked.hour_bucket
            and middle_buckets.rank_in_bucket = bucket_values_ranked.rank_in_bucket

),

final as (

    select
        value_stream,
        tool_state,
        period_grain,
        period_start,
        cast(items as {{ dbt.type_bigint() }}) as items,
        cast(
            {{ hours_from_milliseconds(
                "(min(case when middle = 'lower' then milliseconds end)"
                ~ " + max(case when middle = 'upper' then milliseconds end)) / 2.0"
            ) }}
            as {{ metrics_type_double() }}
        ) as median_hours
    from middle_values
    group by
        value_stream,
        tool_state,
        period_grain,
        period_start,
        items

)

select * from final
