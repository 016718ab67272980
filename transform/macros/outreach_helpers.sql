{#- Shared expressions, written once so both warehouses (DuckDB, PostgreSQL) agree. -#}

{#- An email as one vocabulary across tools: trimmed, lower-cased, empty as null. -#}
{% macro clean_email(column) -%}
    nullif(lower(trim({{ column }})), '')
{%- endmacro %}

{#- A share between 0 and 1 (4 decimals); null when the denominator is 0 or unknown. -#}
{% macro rate(numerator, denominator) -%}
    round(cast({{ numerator }} as numeric(18, 6)) / nullif({{ denominator }}, 0), 4)
{%- endmacro %}

{#- Text form of an id, whatever type the loader gave it (DuckDB HUGEINT, PostgreSQL BIGINT). -#}
{% macro as_text(column) -%}
    cast({{ column }} as {{ dbt.type_string() }})
{%- endmacro %}

{#- One row per key: the latest row by `order_by` wins (loaders may append duplicates). -#}
{% macro latest_per_key(relation_sql, keys, order_by) -%}
    (
        select * from (
            select
                ranked.*,
                row_number() over (partition by {{ keys | join(", ") }} order by {{ order_by }}) as _row_rank
            from {{ relation_sql }} as ranked
        ) as deduplicated
        where _row_rank = 1
    )
{%- endmacro %}
