{#- Many accounts in one warehouse: every model carries `tenant`, like the `source_relation`
    column of well-known dbt packages, so one model serves all tenants.

    A tap run with its `tenant` setting writes a `tenant` column (and leads its keys with
    it); a tap run without it writes no such column. `tenant_source` reads a live source
    (see `live_source`) and adds `_tenant`: the source's `tenant` where the column exists,
    else the constant of `default_tenant()`. Rows loaded before the setting was turned on
    have a null `tenant` and count as the default tenant too. The columns are looked up in
    the warehouse, so the same models run on single- and multi-tenant loads. -#}

{#- The tenant of rows loaded without the `tenant` setting. Not a name tenants.yml should
    use for a real tenant: its rows would share keys with untagged ones. -#}
{% macro default_tenant() -%}
    'default'
{%- endmacro %}

{% macro tenant_source(source_name, table_name) -%}
    {%- set has_tenant = false -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(source(source_name, table_name)) | map(attribute="name") | map("lower") | list -%}
        {%- set has_tenant = "tenant" in names -%}
    {%- endif -%}
    (
        select
            {% if has_tenant -%}
            coalesce(nullif({{ as_text('live.tenant') }}, ''), {{ default_tenant() }})
            {%- else -%}
            cast({{ default_tenant() }} as {{ dbt.type_string() }})
            {%- endif %} as _tenant,
            live.*
        from {{ live_source(source_name, table_name) }} as live
    )
{%- endmacro %}
