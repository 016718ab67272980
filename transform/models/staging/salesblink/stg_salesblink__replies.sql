-- One row per SalesBlink 'replied' event (the replies feed).
select
    _tenant as tenant,
    'salesblink' as tool,
    {{ as_text('id') }} as event_id,
    'replied' as event_type,
    {{ as_text('sequence') }} as campaign_id,
    sequence_name as campaign_name,
    {{ clean_email('email') }} as contact_email,
    cast("time" as timestamp) as occurred_at
from {{ latest_per_key(tenant_source('tap_salesblink', 'replies'), ['_tenant', 'id'], '"time" desc') }} as events
