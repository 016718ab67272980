{#- Every non-null value lies in [min_value, max_value] (rates: 0 and 1). -#}
{% test between(model, column_name, min_value, max_value) %}
select {{ column_name }} as out_of_range
from {{ model }}
where {{ column_name }} < {{ min_value }} or {{ column_name }} > {{ max_value }}
{% endtest %}
