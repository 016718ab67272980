-- Every campaign of every tool once: the tools' campaign lists, plus any campaign that
-- activity or statistics refer to but the list no longer shows (in_campaign_list = false),
-- so no event loses its campaign. Campaigns are per tenant: two accounts' campaign 1 are two rows.
with salesblink_referenced as (
    select tenant, campaign_id, max(campaign_name) as campaign_name
    from (
        select tenant, campaign_id, campaign_name from {{ ref('stg_salesblink__sent') }}
        union all
        select tenant, campaign_id, campaign_name from {{ ref('stg_salesblink__opens') }}
        union all
        select tenant, campaign_id, campaign_name from {{ ref('stg_salesblink__clicks') }}
        union all
        select tenant, campaign_id, campaign_name from {{ ref('stg_salesblink__replies') }}
        union all
        select tenant, campaign_id, cast(null as {{ dbt.type_string() }}) from {{ ref('stg_salesblink__sequence_stats') }}
    ) as referenced
    where campaign_id is not null
    group by tenant, campaign_id
),

salesblink as (
    select
        coalesce(sequences.tenant, referenced.tenant) as tenant,
        'salesblink' as tool,
        coalesce(sequences.account_id, 'unassigned') as account_id,
        coalesce(sequences.campaign_id, referenced.campaign_id) as campaign_id,
        coalesce(sequences.campaign_name, referenced.campaign_name) as campaign_name,
        sequences.campaign_status,
        sequences.campaign_id is not null as in_campaign_list
    from {{ ref('stg_salesblink__sequences') }} as sequences
    full outer join salesblink_referenced as referenced
        on referenced.tenant = sequences.tenant
        and referenced.campaign_id = sequences.campaign_id
),

salesflow_referenced as (
    select tenant, account_id, campaign_id, max(campaign_name) as campaign_name
    from (
        select tenant, account_id, campaign_id, campaign_name from {{ ref('stg_salesflow__campaign_statistics') }}
        union all
        select tenant, account_id, campaign_id, cast(null as {{ dbt.type_string() }}) from {{ ref('stg_salesflow__members') }}
        union all
        select tenant, account_id, campaign_id, cast(null as {{ dbt.type_string() }}) from {{ ref('stg_salesflow__incoming_messages') }}
    ) as referenced
    where campaign_id is not null
    group by tenant, account_id, campaign_id
),

salesflow as (
    select
        coalesce(campaigns.tenant, referenced.tenant) as tenant,
        'salesflow' as tool,
        coalesce(campaigns.account_id, referenced.account_id) as account_id,
        coalesce(campaigns.campaign_id, referenced.campaign_id) as campaign_id,
        coalesce(campaigns.campaign_name, referenced.campaign_name) as campaign_name,
        campaigns.campaign_status,
        campaigns.campaign_id is not null as in_campaign_list
    from {{ ref('stg_salesflow__campaigns') }} as campaigns
    full outer join salesflow_referenced as referenced
        on referenced.tenant = campaigns.tenant
        and referenced.account_id = campaigns.account_id
        and referenced.campaign_id = campaigns.campaign_id
),

salesrocks as (
    -- Sales.Rocks cannot list campaigns: the configured campaign ids are the list.
    select
        tenant,
        'salesrocks' as tool,
        account_id,
        campaign_id,
        campaign_name,
        campaign_status,
        true as in_campaign_list
    from {{ ref('stg_salesrocks__campaign_statistics') }}
),

campaigns as (
    select * from salesblink
    union all
    select * from salesflow
    union all
    select * from salesrocks
)

select
    tenant || ':' || tool || ':' || account_id || ':' || campaign_id as campaign_key,
    campaigns.*
from campaigns
