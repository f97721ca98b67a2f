{#
    The governance worklist (mart_master_data_exceptions) is the union of one model per finding
    kind, models/intermediate/findings/int_findings__<kind>.sql. Every finding model has the
    columns of the finding contract, finding_columns(), and union_findings() unions the models
    by column name, stopping the compilation when a model's columns are not the contract's.

    A finding model names its kind (finding_type, change_target, source_model) in a `kind`
    dict, computes its rule in its own CTEs (one row per finding with canonical_part_id,
    check_name, severity, evidence, proposed_change and the keys it has) and ends with
    finding_rows(), which adds what every finding has alike: finding_id, the kind's constants,
    null keys, canonical_part_number and reference_date, in the contract's order.
#}

{#- The finding contract: the worklist's columns in order, each with its type (string or
    date). Declared the same in models/intermediate/findings/_findings__models.yml. -#}
{% macro finding_columns() -%}
    {{ return([
        ['finding_id', 'string'],
        ['finding_type', 'string'],
        ['severity', 'string'],
        ['canonical_part_id', 'string'],
        ['supplier_id', 'string'],
        ['evidence', 'string'],
        ['proposed_change', 'string'],
        ['check_name', 'string'],
        ['plant', 'string'],
        ['canonical_part_number', 'string'],
        ['related_canonical_part_id', 'string'],
        ['change_target', 'string'],
        ['source_model', 'string'],
        ['reference_date', 'date'],
    ]) }}
{%- endmacro %}

{#
    The contract columns of one finding kind, from `findings`: a CTE with one row per finding
    with canonical_part_id, check_name, severity, evidence, proposed_change and the keys named
    in `keys` (of supplier_id, plant, related_canonical_part_id; the others are null). `kind`
    names the kind's constants: finding_type, change_target (where the change goes) and
    source_model (the model the finding comes from). finding_id = finding_id(): surrogate key
    of type, check, part, supplier, plant and related part, stable across runs while the
    finding persists. canonical_part_number comes from dim_parts, reference_date from
    int_reference_dates.
#}
{% macro finding_rows(findings, kind, keys=[]) -%}
    {%- set optional_keys = ['supplier_id', 'plant', 'related_canonical_part_id'] -%}
    {%- for name in ['finding_type', 'change_target', 'source_model'] if not kind.get(name) -%}
        {%- do exceptions.raise_compiler_error("finding_rows: kind has no " ~ name) -%}
    {%- endfor -%}
    {%- for key in keys if key not in optional_keys -%}
        {%- do exceptions.raise_compiler_error(
            "finding_rows: unknown key '" ~ key ~ "' (optional keys: "
            ~ optional_keys | join(', ') ~ ")"
        ) -%}
    {%- endfor -%}
    {%- set key_sql = {} -%}
    {%- for key in optional_keys -%}
        {%- do key_sql.update({key: 'findings.' ~ key if key in keys
            else 'cast(null as ' ~ dbt.type_string() ~ ')'}) -%}
    {%- endfor -%}
    select
        {{ finding_id(
            "'" ~ kind.finding_type ~ "'", 'findings.check_name', 'findings.canonical_part_id',
            key_sql['supplier_id'], key_sql['plant'], key_sql['related_canonical_part_id']
        ) }} as finding_id,
        '{{ kind.finding_type }}' as finding_type,
        findings.severity,
        findings.canonical_part_id,
        {{ key_sql['supplier_id'] }}{{ '' if 'supplier_id' in keys else ' as supplier_id' }},
        findings.evidence,
        findings.proposed_change,
        findings.check_name,
        {{ key_sql['plant'] }}{{ '' if 'plant' in keys else ' as plant' }},
        parts.canonical_part_number,
        {{ key_sql['related_canonical_part_id'] }}
        {{- '' if 'related_canonical_part_id' in keys else ' as related_canonical_part_id' }},
        '{{ kind.change_target }}' as change_target,
        '{{ kind.source_model }}' as source_model,
        reference_dates.reference_date
    from {{ findings }} as findings
    cross join {{ ref('int_reference_dates') }} as reference_dates
    left join {{ ref('dim_parts') }} as parts
        on findings.canonical_part_id = parts.canonical_part_id
{%- endmacro %}

{#
    finding_id: the surrogate key of finding type, check, part, supplier, plant and related part
    (SQL expressions; a key a finding kind does not have is null). finding_rows() gives every
    finding its id with it, and the proposed change sets name the finding a change resolves
    with it, so the two always agree.
#}
{% macro finding_id(
    finding_type, check_name, canonical_part_id,
    supplier_id=none, plant=none, related_canonical_part_id=none
) -%}
    {%- set null_key = 'cast(null as ' ~ dbt.type_string() ~ ')' -%}
    {{ surrogate_key([
        finding_type,
        check_name,
        canonical_part_id,
        supplier_id or null_key,
        plant or null_key,
        related_canonical_part_id or null_key,
    ]) }}
{%- endmacro %}

{#
    The finding models `models` (names) unioned by column name: each selects the contract's
    columns, whatever order it has them in. When dbt executes, stops the compilation
    - when a model in models/intermediate/findings is not in `models` (it would silently be
      missing from the worklist), or
    - when a listed model's columns differ from the contract: its built relation's columns
      (name and type; the relation exists in `dbt build` and `dbt build --empty` once the
      model ran), else, before it was ever built, the columns its yml declares.
    Unit tests skip the checks (their graph is empty): they test the union, not the models.
    Adapter-neutral: graph, adapter.get_relation and adapter.get_columns_in_relation only.
#}
{% macro union_findings(models) -%}
    {%- set contract = finding_columns() -%}
    {#- Not at parse time (no graph yet), nor in a unit test (its graph is empty). -#}
    {%- if execute is defined and execute and graph.get('nodes') -%}
        {%- do check_findings_contract(models, contract) -%}
    {%- endif -%}
    {%- for model_name in models %}
    select
        {%- for column in contract %}
        {{ column[0] }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref(model_name) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{% macro check_findings_contract(models, contract) -%}
    {%- set expected = {} -%}
    {%- for name, kind in contract -%}
        {%- do expected.update({name: kind}) -%}
    {%- endfor -%}
    {%- set in_folder = [] -%}
    {%- for node in graph.nodes.values() if node.resource_type == 'model'
        and node.package_name == project_name and node.fqn[1:3] == ['intermediate', 'findings'] -%}
        {%- do in_folder.append(node.name) -%}
    {%- endfor -%}
    {%- for name in in_folder | sort if name not in models -%}
        {%- do exceptions.raise_compiler_error(
            "Finding model " ~ name ~ " (models/intermediate/findings) is not in the union of "
            ~ model.name ~ ": add '" ~ name ~ "' to its union_findings() list."
        ) -%}
    {%- endfor -%}
    {%- for name in models -%}
        {%- set node = graph.nodes.get('model.' ~ project_name ~ '.' ~ name) -%}
        {%- if node is none or name not in in_folder -%}
            {%- do exceptions.raise_compiler_error(
                model.name ~ " unions " ~ name
                ~ ", which is no model in models/intermediate/findings."
            ) -%}
        {%- endif -%}
        {%- set relation = adapter.get_relation(
            database=node.database, schema=node.schema, identifier=node.alias or node.name
        ) -%}
        {%- set found = {} -%}
        {%- if relation is not none -%}
            {%- set origin = 'built relation ' ~ relation -%}
            {%- for column in adapter.get_columns_in_relation(relation) -%}
                {%- do found.update({(column.name | lower): finding_column_kind(column.dtype)}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set origin = 'not built yet: its columns in _findings__models.yml' -%}
            {%- for column in node.columns.values() -%}
                {%- set declared = finding_column_kind(column.data_type)
                    if column.data_type else none -%}
                {%- do found.update({(column.name | lower): declared}) -%}
            {%- endfor -%}
        {%- endif -%}
        {%- for column, kind in contract -%}
            {%- if column not in found -%}
                {%- do exceptions.raise_compiler_error(
                    "Finding model " ~ name ~ " has no column " ~ column ~ " (" ~ origin
                    ~ "): every finding model has the columns of finding_columns() "
                    ~ "(macros/findings.sql): " ~ expected.keys() | join(', ') ~ "."
                ) -%}
            {%- elif found[column] is not none and found[column] != kind -%}
                {%- do exceptions.raise_compiler_error(
                    "Finding model " ~ name ~ ": column " ~ column ~ " is " ~ found[column]
                    ~ " (" ~ origin ~ "), the finding contract (finding_columns(), "
                    ~ "macros/findings.sql) says " ~ kind ~ "."
                ) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- for column in found if column not in expected -%}
            {%- do exceptions.raise_compiler_error(
                "Finding model " ~ name ~ " has column " ~ column ~ " (" ~ origin ~ "), which is "
                ~ "not in the finding contract (finding_columns(), macros/findings.sql): add it "
                ~ "there and to every finding model, or drop it."
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
{%- endmacro %}

{#- string or date for the type names DuckDB and Spark give (varchar, string, text, date);
    any other type keeps its own name, so it never matches the contract. -#}
{% macro finding_column_kind(data_type) -%}
    {%- set base = (data_type | lower).split('(')[0] | trim -%}
    {%- set kinds = {
        'varchar': 'string', 'string': 'string', 'text': 'string',
        'character varying': 'string', 'date': 'date',
    } -%}
    {{ return(kinds.get(base, base)) }}
{%- endmacro %}

{#- The evidence of a finding as JSON object text (json_object, macros/json.sql): entries
    [key, kind, sql_expression], or [key, kind] for the column named key. -#}
{% macro finding_evidence(entries) -%}
    {%- set pairs = [] -%}
    {%- for entry in entries -%}
        {%- do pairs.append(entry if entry | length == 3 else [entry[0], entry[1], entry[0]]) -%}
    {%- endfor -%}
    {{ json_object(pairs) }}
{%- endmacro %}

{#- The sentence a lead-time drift proposal ends with when the part/supplier's lead time
    shifted (mart_supplier_lead_times columns), else ''. -#}
{% macro lead_time_shift_sentence() -%}
    case
        when has_lead_time_shift
            then ' Orders placed since '
                || cast(change_point_date as {{ dbt.type_string() }}) || ' take '
                || cast(median_after_change_days as {{ dbt.type_string() }})
                || ' days (median) instead of '
                || cast(median_before_change_days as {{ dbt.type_string() }}) || '.'
        else ''
    end
{%- endmacro %}
