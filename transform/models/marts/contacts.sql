-- One row per tenant and contact email across tools: where it is, when it was first
-- contacted, when it last did something, and whether it ever replied. A contact is per
-- tenant: two accounts reaching the same person are two rows.
with touches as (
    select
        tenant,
        contact_email,
        tool,
        campaign_key,
        case when event_type = 'sent' then occurred_at end as contacted_at,
        occurred_at as activity_at,
        event_type in ('replied', 'message_received') as replied
    from {{ ref('outreach_activity') }}

    union all

    select tenant, contact_email, tool, cast(null as {{ dbt.type_string() }}), cast(null as timestamp), cast(null as timestamp), false
    from {{ ref('stg_salesblink__list_leads') }}

    union all

    -- Salesflow gives no time of the first invitation: enrolment in the campaign stands for it.
    select
        members.tenant, members.contact_email, members.tool, campaigns.campaign_key,
        members.added_at, members.connected_at, members.has_replied
    from {{ ref('stg_salesflow__members') }} as members
    left join {{ ref('int_campaigns') }} as campaigns
        on campaigns.tenant = members.tenant
        and campaigns.tool = members.tool
        and campaigns.account_id = members.account_id
        and campaigns.campaign_id = members.campaign_id

    union all

    select tenant, contact_email, tool, cast(null as {{ dbt.type_string() }}), cast(null as timestamp), cast(null as timestamp), false
    from {{ ref('stg_salesrocks__list_data') }}
)

select
    tenant,
    contact_email,
    string_agg(distinct tool, ',' order by tool) as tools,
    count(distinct tool) as tools_count,
    string_agg(distinct campaign_key, ',' order by campaign_key) as campaigns,
    count(distinct campaign_key) as campaigns_count,
    min(contacted_at) as first_contacted_at,
    max(activity_at) as last_activity_at,
    bool_or(replied) as has_replied
from touches
where contact_email is not null
group by tenant, contact_email
