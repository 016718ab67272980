-- One row per contact in a Sales.Rocks list (lists are not tied to campaigns in the API).
select
    'salesrocks' as tool,
    {{ as_text('list_data.id') }} as contact_id,
    {{ as_text('list_data.list_id') }} as list_id,
    lists.name as list_name,
    {{ clean_email('list_data.email') }} as contact_email
from {{ latest_per_key(live_source('tap_salesrocks', 'list_data'), ['id'], 'email') }} as list_data
left join {{ live_source('tap_salesrocks', 'lists') }} as lists
    on {{ as_text('lists.uuid') }} = {{ as_text('list_data.list_id') }}
