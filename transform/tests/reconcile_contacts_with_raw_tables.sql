-- contacts holds exactly the distinct clean emails of every raw table that names a contact,
-- per tenant.
with raw_emails as (
    {% for feed in ['sent', 'opens', 'clicks', 'replies', 'list_leads'] %}
    select _tenant as tenant, {{ clean_email('email') }} as contact_email from {{ tenant_source('tap_salesblink', feed) }} as raw
    union
    {% endfor %}
    select _tenant, {{ clean_email('"Email"') }} from {{ tenant_source('tap_salesflow', 'members') }} as raw
    union
    select _tenant, {{ clean_email('email') }} from {{ tenant_source('tap_salesrocks', 'list_data') }} as raw
)

select 'missing from contacts' as problem, raw_emails.tenant, raw_emails.contact_email
from raw_emails
left join {{ ref('contacts') }} as contacts
    on contacts.tenant = raw_emails.tenant and contacts.contact_email = raw_emails.contact_email
where raw_emails.contact_email is not null and contacts.contact_email is null
union all
select 'not in any raw table', contacts.tenant, contacts.contact_email
from {{ ref('contacts') }} as contacts
left join raw_emails
    on raw_emails.tenant = contacts.tenant and raw_emails.contact_email = contacts.contact_email
where raw_emails.contact_email is null
