-- Contacts in SalesBlink lists (not yet tied to a sequence).
select
    _tenant as tenant,
    'salesblink' as tool,
    {{ as_text('id') }} as lead_id,
    {{ as_text('list_id') }} as list_id,
    owned_by as account_id,
    {{ clean_email('email') }} as contact_email,
    coalesce(archived, false) as is_archived
from {{ latest_per_key(tenant_source('tap_salesblink', 'list_leads'), ['_tenant', 'id'], 'email') }} as leads
