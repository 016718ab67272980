-- One row per outreach event across tools and tenants, in one vocabulary.
with events as (
    {% for feed in ['sent', 'opens', 'clicks', 'replies'] %}
    select
        tenant,
        tool,
        cast(null as {{ dbt.type_string() }}) as account_id,
        '{{ feed }}' as source_stream,
        event_id, event_type, campaign_id, contact_email, occurred_at
    from {{ ref('stg_salesblink__' ~ feed) }}
    union all
    {% endfor %}
    select
        tenant, tool, account_id, 'incoming_messages' as source_stream,
        event_id, event_type, campaign_id, contact_email, occurred_at
    from {{ ref('stg_salesflow__incoming_messages') }}
)

select
    events.tenant || ':' || events.tool || ':' || events.source_stream || ':'
        || coalesce(events.account_id, '') || ':' || events.event_id as activity_id,
    events.tenant,
    events.tool,
    -- SalesBlink events carry no account: it is their sequence's owner.
    coalesce(events.account_id, campaigns.account_id, 'unassigned') as account_id,
    events.campaign_id,
    campaigns.campaign_key,
    campaigns.campaign_name,
    events.contact_email,
    events.event_type,
    events.occurred_at,
    events.source_stream,
    events.event_id as source_event_id
from events
left join {{ ref('int_campaigns') }} as campaigns
    on campaigns.tenant = events.tenant
    and campaigns.tool = events.tool
    and campaigns.campaign_id = events.campaign_id
    and (events.account_id is null or campaigns.account_id = events.account_id)
