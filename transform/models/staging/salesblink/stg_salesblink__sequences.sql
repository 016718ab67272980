-- One row per SalesBlink sequence (the email campaign). account_id is the sequence owner:
-- SalesBlink's API names no workspace id, the owner is the sending identity.
select
    _tenant as tenant,
    'salesblink' as tool,
    coalesce(owned_by, 'unassigned') as account_id,
    {{ as_text('id') }} as campaign_id,
    name as campaign_name,
    case
        when archived then 'archived'
        when paused then 'paused'
        else 'active'
    end as campaign_status
from {{ latest_per_key(tenant_source('tap_salesblink', 'sequences'), ['_tenant', 'id'], 'name') }} as sequences
