-- Salesflow's statistics per campaign: the source of its campaign performance.
select
    _tenant as tenant,
    'salesflow' as tool,
    {{ as_text('account_id') }} as account_id,
    {{ as_text('"CampaignId"') }} as campaign_id,
    "CampaignName" as campaign_name,
    cast("TotalMembers" as bigint) as members,
    cast("InvitationsSent" as bigint) as connection_requests,
    cast("InvitationsAccepted" as bigint) as connections_accepted,
    cast("MessagesSent" as bigint) as messages_sent,
    cast("Replies" as bigint) as replied,
    cast("Withdrawn" as bigint) as withdrawn,
    cast("UpdatedAt" as timestamp) as computed_at
from {{ latest_per_key(tenant_source('tap_salesflow', 'campaign_statistics'), ['_tenant', 'account_id', '"CampaignId"'], '"UpdatedAt" desc') }} as stats
