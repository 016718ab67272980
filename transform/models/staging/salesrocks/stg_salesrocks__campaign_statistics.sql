-- Sales.Rocks' statistics per drip campaign: the source of its campaign performance.
-- account_id is the sender mailbox (the API has no account id).
select
    _tenant as tenant,
    'salesrocks' as tool,
    coalesce({{ clean_email('sender_email') }}, 'unassigned') as account_id,
    {{ as_text('campaign_id') }} as campaign_id,
    campaign_name,
    lower(campaign_status) as campaign_status,
    cast(total_scheduled as bigint) as scheduled,
    cast(to_send as bigint) as to_send,
    cast(sent as bigint) as sent,
    cast(opened as bigint) as opened,
    cast(clicked as bigint) as clicked,
    cast(replied as bigint) as replied,
    cast(bounced as bigint) as bounced,
    cast(opted_out as bigint) as opted_out,
    cast(campaign_created_at as timestamp) as created_at
from {{ latest_per_key(tenant_source('tap_salesrocks', 'campaign_statistics'), ['_tenant', 'campaign_id'], 'sent desc') }} as stats
