{#- The rows of a source table that are still live at the vendor.

    Loaders that track deletions (singer-sdk record metadata) keep a retired row and set
    `_sdc_deleted_at`; those rows are excluded here. Loaders without that column (e.g.
    target-duckdb 0.8) load live rows only, so the table is read as it is. The columns are
    looked up in the warehouse, so the same model runs before and after a loader change. -#}
{% macro live_source(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {%- set tracks_deletes = false -%}
    {%- if execute -%}
        {%- set names = adapter.get_columns_in_relation(relation) | map(attribute="name") | map("lower") | list -%}
        {%- if names | length == 0 -%}
            {{ exceptions.raise_compiler_error("Source " ~ relation ~ " does not exist or has no columns: run the tap that loads it (meltano run " ~ source_name | replace("_", "-") ~ " <loader>) before the models, or point the var " ~ source_name | replace("tap_", "") ~ "_schema at the schema it loads into.") }}
        {%- endif -%}
        {%- set tracks_deletes = "_sdc_deleted_at" in names -%}
    {%- endif -%}
    (select * from {{ relation }}{% if tracks_deletes %} where _sdc_deleted_at is null{% endif %})
{%- endmacro %}
