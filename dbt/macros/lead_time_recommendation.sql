{#
    For a row of mart_supplier_lead_times whose recommendation is not confident
    (is_recommendation_confident false): the sentence that says why no change is proposed,
    with the interval, e.g. " No change proposed: the p80 estimate of 17 days is not confident
    (90 % interval 13 to unbounded days from 9 lines)." '' when the recommendation is
    confident.
#}
{% macro unconfident_recommendation_sentence() -%}
    case
        when is_recommendation_confident then ''
        else
            ' No change proposed: the p'
            || cast(
                cast({{ round_double('recommended_lead_time_quantile * 100', 0) }} as integer)
                as {{ dbt.type_string() }}
            )
            || ' estimate of '
            || coalesce(cast(recommended_lead_time_days as {{ dbt.type_string() }}), '-')
            || ' days is not confident ('
            || cast(
                cast({{ round_double('recommended_lead_time_ci_level * 100', 0) }} as integer)
                as {{ dbt.type_string() }}
            )
            || ' % interval '
            || coalesce(
                cast(recommended_lead_time_ci_low_days as {{ dbt.type_string() }}), 'unbounded'
            )
            || ' to '
            || coalesce(
                cast(recommended_lead_time_ci_high_days as {{ dbt.type_string() }}), 'unbounded'
            )
            || ' days from ' || cast(n_lines as {{ dbt.type_string() }}) || ' lines'
            || case
                when recommendation_confidence_reason = 'interval_too_wide'
                    then
                        ', wider than '
                        || cast(
                            {{ var('recommended_lead_time_ci_max_width_days') }}
                            as {{ dbt.type_string() }}
                        )
                        || ' days and '
                        || cast(
                            cast(
                                {{ var('recommended_lead_time_ci_max_width_ratio') }} * 100
                                as integer
                            ) as {{ dbt.type_string() }}
                        )
                        || ' % of the estimate'
                else ''
            end
            || ').'
    end
{%- endmacro %}

{#
    The evidence entries (finding_evidence) of a lead_time_drift finding that show how far its
    recommendation can be trusted: the confidence interval, whether it is confident, the window
    of lines it comes from and their summary. Both checks (erp and mrp) show them alike.
#}
{% macro lead_time_recommendation_evidence() -%}
    {{ return([
        ['recommended_lead_time_ci_low_days', 'number'],
        ['recommended_lead_time_ci_high_days', 'number'],
        ['is_recommendation_confident', 'boolean'],
        ['window_start', 'string', 'lead_time_window_start_date'],
        ['window_end', 'string', 'lead_time_window_end_date'],
        ['lead_time_summary', 'string'],
    ]) }}
{%- endmacro %}

{#
    Severity of a lead_time_drift finding (checks erp and mrp alike): high when |drift|
    exceeds twice both tolerances (lead_time_drift_tolerance_days and
    lead_time_drift_tolerance_ratio x the planned lead time), else medium. `system` names the
    columns of mart_supplier_lead_times: drift_vs_<system>_days, <system>_planned_lead_time_days.
#}
{% macro lead_time_drift_severity(system) -%}
    case
        when {{ exceeds_drift_tolerance(
                'drift_vs_' ~ system ~ '_days', system ~ '_planned_lead_time_days', times=2
            ) }}
            then 'high'
        else 'medium'
    end
{%- endmacro %}

{#
    The confidence of a proposed planned lead time, from the mart_supplier_lead_times row
    `relation`: high with at least change_set_high_confidence_min_lines lines, no lead-time shift
    and no recent-vs-earlier trend, else medium (a shift means the window mixes an old and a new
    lead time). One rule, so that the ERP and the MRP change sets grade alike.
#}
{% macro lead_time_change_confidence(relation) -%}
    case
        when
            {{ relation }}.n_lines >= {{ var('change_set_high_confidence_min_lines') }}
            and not {{ relation }}.has_lead_time_shift
            and coalesce({{ relation }}.lead_time_trend, 'stable')
            in ('stable', 'insufficient_data')
            then 'high'
        else 'medium'
    end
{%- endmacro %}
