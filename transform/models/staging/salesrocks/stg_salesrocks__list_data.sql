-- One row per contact in a Sales.Rocks list (lists are not tied to campaigns in the API).
select
    list_data._tenant as tenant,
    'salesrocks' as tool,
    {{ as_text('list_data.id') }} as contact_id,
    {{ as_text('list_data.list_id') }} as list_id,
    lists.name as list_name,
    {{ clean_email('list_data.email') }} as contact_email
from {{ latest_per_key(tenant_source('tap_salesrocks', 'list_data'), ['_tenant', 'id'], 'email') }} as list_data
left join {{ tenant_source('tap_salesrocks', 'lists') }} as lists
    on lists._tenant = list_data._tenant
    and {{ as_text('lists.uuid') }} = {{ as_text('list_data.list_id') }}
