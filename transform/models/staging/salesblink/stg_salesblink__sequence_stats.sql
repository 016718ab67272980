-- SalesBlink's own counters per sequence; used to reconcile the event counts (warn level).
select
    _tenant as tenant,
    'salesblink' as tool,
    {{ as_text('sequence_id') }} as campaign_id,
    cast(leads as bigint) as leads,
    cast(sent as bigint) as sent,
    cast(opens as bigint) as opened,
    cast(link_clicks as bigint) as clicked,
    cast(replies as bigint) as replied,
    cast(bounced as bigint) as bounced,
    cast(unsubscribed as bigint) as unsubscribed
from {{ latest_per_key(tenant_source('tap_salesblink', 'sequence_stats'), ['_tenant', 'sequence_id'], 'sent desc') }} as stats
