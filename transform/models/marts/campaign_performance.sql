-- One row per tool + account + campaign: the funnel and its rates, from the best source
-- each tool has (SalesBlink: its event feeds; Salesflow and Sales.Rocks: their statistics).
-- campaign_key starts with the tenant, so every join on it stays within one tenant.
with salesblink_events as (
    select
        campaign_key,
        count(distinct case when event_type = 'sent' then source_event_id end) as sent,
        count(distinct case when event_type = 'opened' then source_event_id end) as opened,
        count(distinct case when event_type = 'clicked' then source_event_id end) as clicked,
        count(distinct case when event_type = 'replied' then source_event_id end) as replied,
        count(distinct case when event_type = 'sent' then contact_email end) as emailed_contacts
    from {{ ref('outreach_activity') }}
    where tool = 'salesblink'
    group by campaign_key
),

salesblink as (
    select
        campaigns.campaign_key,
        cast('events' as {{ dbt.type_string() }}) as counted_from,
        coalesce(stats.leads, events.emailed_contacts, 0) as contacts,
        coalesce(events.sent, 0) as sent,
        coalesce(events.opened, 0) as opened,
        coalesce(events.clicked, 0) as clicked,
        coalesce(events.replied, 0) as replied,
        stats.bounced,
        cast(null as bigint) as connection_requests,
        cast(null as bigint) as connections_accepted
    from {{ ref('int_campaigns') }} as campaigns
    left join salesblink_events as events on events.campaign_key = campaigns.campaign_key
    left join {{ ref('stg_salesblink__sequence_stats') }} as stats
        on stats.tenant = campaigns.tenant
        and stats.campaign_id = campaigns.campaign_id
    where campaigns.tool = 'salesblink'
),

salesflow as (
    select
        campaigns.campaign_key,
        cast(case when stats.campaign_id is null then 'none' else 'statistics' end as {{ dbt.type_string() }}) as counted_from,
        stats.members as contacts,
        -- A LinkedIn touch is a connection request or a message.
        stats.connection_requests + stats.messages_sent as sent,
        cast(null as bigint) as opened,
        cast(null as bigint) as clicked,
        stats.replied,
        cast(null as bigint) as bounced,
        stats.connection_requests,
        stats.connections_accepted
    from {{ ref('int_campaigns') }} as campaigns
    left join {{ ref('stg_salesflow__campaign_statistics') }} as stats
        on stats.tenant = campaigns.tenant
        and stats.account_id = campaigns.account_id
        and stats.campaign_id = campaigns.campaign_id
    where campaigns.tool = 'salesflow'
),

salesrocks as (
    select
        campaigns.campaign_key,
        cast('statistics' as {{ dbt.type_string() }}) as counted_from,
        -- The statistics count emails, not people: contacts are unknown.
        cast(null as bigint) as contacts,
        stats.sent,
        stats.opened,
        stats.clicked,
        stats.replied,
        stats.bounced,
        cast(null as bigint) as connection_requests,
        cast(null as bigint) as connections_accepted
    from {{ ref('int_campaigns') }} as campaigns
    inner join {{ ref('stg_salesrocks__campaign_statistics') }} as stats
        on stats.tenant = campaigns.tenant
        and stats.campaign_id = campaigns.campaign_id
    where campaigns.tool = 'salesrocks'
),

counts as (
    select * from salesblink
    union all
    select * from salesflow
    union all
    select * from salesrocks
)

select
    campaigns.campaign_key,
    campaigns.tenant,
    campaigns.tool,
    campaigns.account_id,
    campaigns.campaign_id,
    campaigns.campaign_name,
    campaigns.campaign_status,
    campaigns.in_campaign_list,
    counts.counted_from,
    cast(counts.contacts as bigint) as contacts,
    cast(counts.sent as bigint) as sent,
    cast(counts.opened as bigint) as opened,
    cast(counts.clicked as bigint) as clicked,
    cast(counts.replied as bigint) as replied,
    cast(counts.bounced as bigint) as bounced,
    cast(counts.connection_requests as bigint) as connection_requests,
    cast(counts.connections_accepted as bigint) as connections_accepted,
    {{ rate('counts.opened', 'counts.sent') }} as open_rate,
    {{ rate('counts.clicked', 'counts.sent') }} as click_rate,
    {{ rate('counts.replied', 'counts.sent') }} as reply_rate,
    {{ rate('counts.connections_accepted', 'counts.connection_requests') }} as acceptance_rate
from {{ ref('int_campaigns') }} as campaigns
inner join counts on counts.campaign_key = campaigns.campaign_key
