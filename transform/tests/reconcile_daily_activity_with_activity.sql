-- daily_activity adds up to outreach_activity, per tenant, tool and event type.
with daily as (
    select tenant, tool, event_type, sum(events) as events
    from {{ ref('daily_activity') }}
    group by tenant, tool, event_type
),

activity as (
    select tenant, tool, event_type, count(*) as events
    from {{ ref('outreach_activity') }}
    group by tenant, tool, event_type
)

select activity.*, daily.events as daily_events
from activity
full outer join daily
    on daily.tenant = activity.tenant and daily.tool = activity.tool and daily.event_type = activity.event_type
where coalesce(daily.events, -1) <> coalesce(activity.events, -1)
