-- One row per SalesBlink 'opened' event (the opens feed).
select
    'salesblink' as tool,
    {{ as_text('id') }} as event_id,
    'opened' as event_type,
    {{ as_text('sequence') }} as campaign_id,
    sequence_name as campaign_name,
    {{ clean_email('email') }} as contact_email,
    cast("time" as timestamp) as occurred_at
from {{ latest_per_key(live_source('tap_salesblink', 'opens'), ['id'], '"time" desc') }} as events
