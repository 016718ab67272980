-- One row per LinkedIn message a contact sent back (a 'message_received' event). The
-- contact's email comes from the campaign member who wrote it.
select
    messages._tenant as tenant,
    'salesflow' as tool,
    {{ as_text('messages.account_id') }} as account_id,
    {{ as_text('messages."Id"') }} as event_id,
    'message_received' as event_type,
    {{ as_text('messages."CampaignId"') }} as campaign_id,
    members.contact_email,
    cast(messages."ReceivedAt" as timestamp) as occurred_at
from {{ latest_per_key(tenant_source('tap_salesflow', 'incoming_messages'), ['_tenant', 'account_id', '"Id"'], '"ReceivedAt" desc') }} as messages
left join {{ ref('stg_salesflow__members') }} as members
    on members.tenant = messages._tenant
    and members.account_id = {{ as_text('messages.account_id') }}
    and members.member_id = {{ as_text('messages."MemberId"') }}
