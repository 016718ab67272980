-- Every live event row the taps loaded is one row of outreach_activity, per source table.
with raw_counts as (
    {% for feed in ['sent', 'opens', 'clicks', 'replies'] %}
    select 'salesblink' as tool, '{{ feed }}' as source_stream, count(distinct id) as raw_rows
    from {{ live_source('tap_salesblink', feed) }} as raw
    union all
    {% endfor %}
    select 'salesflow', 'incoming_messages', count(*)
    from (select distinct account_id, "Id" from {{ live_source('tap_salesflow', 'incoming_messages') }} as raw) as keys
),

mart_counts as (
    select tool, source_stream, count(*) as mart_rows
    from {{ ref('outreach_activity') }}
    group by tool, source_stream
)

select raw_counts.*, mart_counts.mart_rows
from raw_counts
full outer join mart_counts
    on mart_counts.tool = raw_counts.tool and mart_counts.source_stream = raw_counts.source_stream
where coalesce(raw_counts.raw_rows, -1) <> coalesce(mart_counts.mart_rows, -1)
