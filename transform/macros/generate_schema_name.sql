{#- Models land in exactly the schema they name (`analytics`, `outreach_staging`), not in
    dbt's default `<target schema>_<custom schema>`, so reports and users find them. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
