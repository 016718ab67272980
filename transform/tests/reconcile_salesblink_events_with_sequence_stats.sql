-- SalesBlink's own sequence counters against the counts from its event feeds. They can
-- differ legitimately (start_date cuts history; counters and feeds are read at different
-- moments), so a difference is a warning to look at, not a failure.
{{ config(severity='warn') }}

select
    performance.tenant,
    performance.campaign_id,
    performance.sent, stats.sent as stats_sent,
    performance.opened, stats.opened as stats_opened,
    performance.clicked, stats.clicked as stats_clicked,
    performance.replied, stats.replied as stats_replied
from {{ ref('campaign_performance') }} as performance
inner join {{ ref('stg_salesblink__sequence_stats') }} as stats
    on stats.tenant = performance.tenant
    and stats.campaign_id = performance.campaign_id
where performance.tool = 'salesblink'
    and (
        performance.sent <> stats.sent
        or performance.opened <> stats.opened
        or performance.clicked <> stats.clicked
        or performance.replied <> stats.replied
    )
