-- The funnel totals of campaign_performance equal the raw tables they come from, per tenant:
-- SalesBlink distinct event ids, Salesflow and Sales.Rocks summed statistics.
with raw_totals as (
    {% for feed, measure in [('sent', 'sent'), ('opens', 'opened'), ('clicks', 'clicked'), ('replies', 'replied')] %}
    select _tenant as tenant, 'salesblink' as tool, '{{ measure }}' as measure, count(distinct id) as raw_total
    from {{ tenant_source('tap_salesblink', feed) }} as raw
    group by _tenant
    union all
    {% endfor %}
    select _tenant, 'salesflow', 'sent', sum("InvitationsSent" + "MessagesSent")
    from {{ tenant_source('tap_salesflow', 'campaign_statistics') }} as raw
    group by _tenant
    union all
    select _tenant, 'salesflow', 'replied', sum("Replies")
    from {{ tenant_source('tap_salesflow', 'campaign_statistics') }} as raw
    group by _tenant
    union all
    select _tenant, 'salesflow', 'contacts', sum("TotalMembers")
    from {{ tenant_source('tap_salesflow', 'campaign_statistics') }} as raw
    group by _tenant
    {% for measure in ['sent', 'opened', 'clicked', 'replied'] %}
    union all
    select _tenant, 'salesrocks', '{{ measure }}', sum({{ measure }})
    from {{ tenant_source('tap_salesrocks', 'campaign_statistics') }} as raw
    group by _tenant
    {% endfor %}
),

mart as (
    select * from {{ ref('campaign_performance') }}
),

mart_totals as (
    {% for measure in ['sent', 'opened', 'clicked', 'replied'] %}
    select tenant, tool, '{{ measure }}' as measure, sum({{ measure }}) as mart_total
    from mart
    where tool in ('salesblink', 'salesrocks') or '{{ measure }}' in ('sent', 'replied')
    group by tenant, tool
    union all
    {% endfor %}
    select tenant, tool, 'contacts', sum(contacts) from mart where tool = 'salesflow' group by tenant, tool
)

select raw_totals.*, mart_totals.mart_total
from raw_totals
full outer join mart_totals
    on mart_totals.tenant = raw_totals.tenant
    and mart_totals.tool = raw_totals.tool
    and mart_totals.measure = raw_totals.measure
where coalesce(cast(raw_totals.raw_total as bigint), -1) <> coalesce(cast(mart_totals.mart_total as bigint), -1)
