-- Events per day, tenant, tool and event type (UTC days).
select
    cast(occurred_at as date) as activity_date,
    tenant,
    tool,
    event_type,
    count(*) as events,
    count(distinct contact_email) as contacts
from {{ ref('outreach_activity') }}
group by cast(occurred_at as date), tenant, tool, event_type
