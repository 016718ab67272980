-- Every live event row the taps loaded is one row of outreach_activity, per tenant and source table.
with raw_counts as (
    {% for feed in ['sent', 'opens', 'clicks', 'replies'] %}
    select _tenant as tenant, 'salesblink' as tool, '{{ feed }}' as source_stream, count(distinct id) as raw_rows
    from {{ tenant_source('tap_salesblink', feed) }} as raw
    group by _tenant
    union all
    {% endfor %}
    select _tenant, 'salesflow', 'incoming_messages', count(*)
    from (select distinct _tenant, account_id, "Id" from {{ tenant_source('tap_salesflow', 'incoming_messages') }} as raw) as keys
    group by _tenant
),

mart_counts as (
    select tenant, tool, source_stream, count(*) as mart_rows
    from {{ ref('outreach_activity') }}
    group by tenant, tool, source_stream
)

select raw_counts.*, mart_counts.mart_rows
from raw_counts
full outer join mart_counts
    on mart_counts.tenant = raw_counts.tenant
    and mart_counts.tool = raw_counts.tool
    and mart_counts.source_stream = raw_counts.source_stream
where coalesce(raw_counts.raw_rows, -1) <> coalesce(mart_counts.mart_rows, -1)
