-- One row per Salesflow campaign (LinkedIn), per LinkedIn account.
select
    _tenant as tenant,
    'salesflow' as tool,
    {{ as_text('account_id') }} as account_id,
    {{ as_text('"Id"') }} as campaign_id,
    "Name" as campaign_name,
    lower("Status") as campaign_status,
    cast("CreatedAt" as timestamp) as created_at
from {{ latest_per_key(tenant_source('tap_salesflow', 'campaigns'), ['_tenant', 'account_id', '"Id"'], '"LastModifiedAt" desc') }} as campaigns
