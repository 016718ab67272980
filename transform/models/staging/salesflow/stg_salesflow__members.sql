-- One row per Salesflow campaign member (a LinkedIn contact in a campaign).
select
    _tenant as tenant,
    'salesflow' as tool,
    {{ as_text('account_id') }} as account_id,
    {{ as_text('"MemberId"') }} as member_id,
    {{ as_text('"CampaignId"') }} as campaign_id,
    {{ clean_email('"Email"') }} as contact_email,
    coalesce("HasReply", false) as has_replied,
    cast("AddedAt" as timestamp) as added_at,
    cast("ConnectedAt" as timestamp) as connected_at
from {{ latest_per_key(tenant_source('tap_salesflow', 'members'), ['_tenant', 'account_id', '"MemberId"'], '"LastModifiedAt" desc') }} as members
