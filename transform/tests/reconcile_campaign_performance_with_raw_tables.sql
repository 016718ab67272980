-- The funnel totals of campaign_performance equal the raw tables they come from:
-- SalesBlink distinct event ids, Salesflow and Sales.Rocks summed statistics.
with raw_totals as (
    {% for feed, measure in [('sent', 'sent'), ('opens', 'opened'), ('clicks', 'clicked'), ('replies', 'replied')] %}
    select 'salesblink' as tool, '{{ measure }}' as measure, count(distinct id) as raw_total
    from {{ live_source('tap_salesblink', feed) }} as raw
    union all
    {% endfor %}
    select 'salesflow', 'sent', sum("InvitationsSent" + "MessagesSent")
    from {{ live_source('tap_salesflow', 'campaign_statistics') }} as raw
    union all
    select 'salesflow', 'replied', sum("Replies")
    from {{ live_source('tap_salesflow', 'campaign_statistics') }} as raw
    union all
    select 'salesflow', 'contacts', sum("TotalMembers")
    from {{ live_source('tap_salesflow', 'campaign_statistics') }} as raw
    {% for measure in ['sent', 'opened', 'clicked', 'replied'] %}
    union all
    select 'salesrocks', '{{ measure }}', sum({{ measure }})
    from {{ live_source('tap_salesrocks', 'campaign_statistics') }} as raw
    {% endfor %}
),

mart as (
    select * from {{ ref('campaign_performance') }}
),

mart_totals as (
    {% for measure in ['sent', 'opened', 'clicked', 'replied'] %}
    select tool, '{{ measure }}' as measure, sum({{ measure }}) as mart_total
    from mart
    where tool in ('salesblink', 'salesrocks') or '{{ measure }}' in ('sent', 'replied')
    group by tool
    union all
    {% endfor %}
    select tool, 'contacts', sum(contacts) from mart where tool = 'salesflow' group by tool
)

select raw_totals.*, mart_totals.mart_total
from raw_totals
full outer join mart_totals
    on mart_totals.tool = raw_totals.tool and mart_totals.measure = raw_totals.measure
where coalesce(cast(raw_totals.raw_total as bigint), -1) <> coalesce(cast(mart_totals.mart_total as bigint), -1)
