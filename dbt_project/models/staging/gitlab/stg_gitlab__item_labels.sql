with

items as (

    select * from {{ ref('stg_gitlab__items') }}

),

labels_unnested as (

    select
        source,
        item_id,
        {{ json_string_array_elements('labels') }} as label_name
    from items

),

final as (

    select distinct
        source,
        item_id,
        label_name,
        {{ dbt.concat(['item_id', "'|'", 'label_name']) }} as item_label_id
    from labels_unnested
    where label_name is not null and trim(label_name) <> ''

)

select * from final
