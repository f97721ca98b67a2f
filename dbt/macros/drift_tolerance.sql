{#
    The drift tolerance (docs/marts.md, mart_supplier_lead_times), one rule for every comparison of lead times:
    a difference counts when |difference| exceeds both lead_time_drift_tolerance_days and
    lead_time_drift_tolerance_ratio x the reference lead time; `times` scales both (the high
    severity of a drift finding is twice the tolerance). Null when either side is null.
#}
{% macro exceeds_drift_tolerance(difference, reference, times=1) -%}
    {%- set scale = '' if times == 1 else times ~ ' * ' -%}
    (
        abs({{ difference }}) > {{ scale }}{{ var('lead_time_drift_tolerance_days') }}
        and abs({{ difference }})
        > {{ scale }}{{ var('lead_time_drift_tolerance_ratio') }} * {{ reference }}
    )
{%- endmacro %}
