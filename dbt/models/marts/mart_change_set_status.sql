{#
    Do proposed changes get done? Every change a published run proposed (the proposed_* change
    sets), one row per proposal (a change_id, the record and field, with one proposed value),
    with its status:
    - outstanding: this run still proposes it;
    - applied: no longer proposed, and the latest extract of the target record carries the
      proposed value (closed_by_extract names that extract file);
    - superseded: no longer proposed and not carried: the recommendation moved (a new proposal
      with another value replaced it) or the finding went away.
    Applied and superseded are final. Times are run_timestamp(); the history is kept across
    runs like mart_finding_history (governance.change_set_history).
#}

with

erp_lead_times as {{ not_materialized() }} (

    select * from {{ ref('proposed_erp_purchasing_info_lead_times') }}

),

mrp_lead_times as {{ not_materialized() }} (

    select * from {{ ref('proposed_mrp_planned_lead_times') }}

),

mrp_safety_stocks as {{ not_materialized() }} (

    select * from {{ ref('proposed_mrp_safety_stocks') }}

),

mrp_lot_sizes as {{ not_materialized() }} (

    select * from {{ ref('proposed_mrp_lot_sizes') }}

),

kept_history as {{ not_materialized() }} (

    select * from {{ ref('stg_governance__change_set_history') }}

),

purchasing_info as {{ not_materialized() }} (

    select * from {{ ref('stg_erp__purchasing_info') }}

),

mrp_parameters as {{ not_materialized() }} (

    select * from {{ ref('stg_mrp__parameters') }}

),

current_proposals as (

    {#- each change set's record key: ERP by supplier, MRP by plant -#}
    {%- set no_supplier = 'cast(null as ' ~ dbt.type_string() ~ ') as supplier_id' -%}
    {%- set change_sets = [
        ('erp_lead_times', 'supplier_id', 'cast(null as ' ~ dbt.type_string() ~ ') as plant'),
        ('mrp_lead_times', no_supplier, 'plant'),
        ('mrp_safety_stocks', no_supplier, 'plant'),
        ('mrp_lot_sizes', no_supplier, 'plant'),
    ] %}
    {% for change_set, supplier, plant in change_sets %}
        select
            change_id,
            target_system,
            target_table,
            target_field,
            part_number,
            {{ supplier }},
            {{ plant }},
            cast(proposed_value as {{ dbt.type_float() }}) as proposed_value,
            finding_id
        from {{ change_set }}
        {% if not loop.last %}
            union all
        {% endif %}
    {% endfor %}

),

keyed_proposals as (

    select
        *,
        {{ surrogate_key(['change_id', 'cast(proposed_value as ' ~ dbt.type_string() ~ ')']) }}
            as proposal_id
    from current_proposals

),

-- what the latest extract of each target record carries, field by field
carried_values as (

    select
        'purchasing_info' as target_table,
        'planned_lead_time_days' as target_field,
        part_number,
        supplier_id,
        cast(null as {{ dbt.type_string() }}) as plant,
        cast(planned_lead_time_days as {{ dbt.type_float() }}) as carried_value,
        source_file
    from purchasing_info
    {%- set mrp_fields = [
        'planned_lead_time_days', 'safety_stock_qty', 'fixed_lot_size', 'min_lot_size',
    ] %}
    {% for field in mrp_fields %}
        union all
        select
            'mrp_parameters' as target_table,
            '{{ field }}' as target_field,
            part_number,
            cast(null as {{ dbt.type_string() }}) as supplier_id,
            plant,
            cast({{ field }} as {{ dbt.type_float() }}) as carried_value,
            source_file
        from mrp_parameters
    {% endfor %}

),

combined as (

    select
        coalesce(keyed_proposals.proposal_id, kept_history.proposal_id) as proposal_id,
        coalesce(keyed_proposals.change_id, kept_history.change_id) as change_id,
        coalesce(keyed_proposals.target_system, kept_history.target_system) as target_system,
        coalesce(keyed_proposals.target_table, kept_history.target_table) as target_table,
        coalesce(keyed_proposals.target_field, kept_history.target_field) as target_field,
        coalesce(keyed_proposals.part_number, kept_history.part_number) as part_number,
        coalesce(keyed_proposals.supplier_id, kept_history.supplier_id) as supplier_id,
        coalesce(keyed_proposals.plant, kept_history.plant) as plant,
        coalesce(keyed_proposals.proposed_value, kept_history.proposed_value)
            as proposed_value,
        coalesce(keyed_proposals.finding_id, kept_history.finding_id) as finding_id,
        keyed_proposals.proposal_id is not null as is_proposed,
        kept_history.status as previous_status,
        kept_history.first_proposed_at as previous_first_proposed_at,
        kept_history.last_proposed_at as previous_last_proposed_at,
        kept_history.closed_at as previous_closed_at,
        kept_history.closed_by_extract as previous_closed_by_extract
    from keyed_proposals
    full outer join kept_history
        on keyed_proposals.proposal_id = kept_history.proposal_id

),

with_status as (

    select
        combined.*,
        carried_values.carried_value,
        carried_values.source_file,
        case
            when combined.is_proposed then 'outstanding'
            when combined.previous_status in ('applied', 'superseded')
                then combined.previous_status
            when carried_values.carried_value = combined.proposed_value then 'applied'
            else 'superseded'
        end as status
    from combined
    left join carried_values
        on
            {{ keys_match(
                'combined', 'carried_values', ['target_table', 'target_field', 'part_number']
            ) }}
            and coalesce(combined.supplier_id, '') = coalesce(carried_values.supplier_id, '')
            and coalesce(combined.plant, '') = coalesce(carried_values.plant, '')

),

final as (

    select
        proposal_id,
        change_id,
        target_system,
        target_table,
        target_field,
        part_number,
        supplier_id,
        plant,
        proposed_value,
        finding_id,
        status,
        coalesce(previous_first_proposed_at, {{ run_timestamp() }}) as first_proposed_at,
        case
            when is_proposed then {{ run_timestamp() }}
            else previous_last_proposed_at
        end as last_proposed_at,
        case
            when status = 'outstanding' then null
            when previous_status = status then previous_closed_at
            else {{ run_timestamp() }}
        end as closed_at,
        case
            when status = 'applied' and previous_status = 'applied'
                then previous_closed_by_extract
            when status = 'applied' then source_file
        end as closed_by_extract
    from with_status

)

select * from final
