{#
    possible_duplicate_part (low; part_crosswalk): an open (proposed) part_match_review pair,
    about part a with part b as the related part. The proposal is the steward's decision, with
    the exact `plansignal review accept|reject` command; a rejected pair is no finding.
#}

{% set kind = {
    'finding_type': 'possible_duplicate_part',
    'change_target': 'part_crosswalk',
    'source_model': 'part_match_review',
} %}

with

part_match_review as {{ not_materialized() }} (

    select * from {{ ref('part_match_review') }}

),

candidate_pairs as (

    select
        part_id_a as canonical_part_id,
        part_id_b as related_canonical_part_id,
        'part_match_review' as check_name,
        'low' as severity,
        {{ finding_evidence([
            ['part_number_a', 'string'],
            ['part_number_b', 'string'],
            ['score', 'number'],
            ['number_similarity', 'number'],
            ['description_similarity', 'number'],
            ['same_manufacturer_part_number', 'boolean'],
            ['revision_conflict', 'boolean'],
            ['blocking_keys', 'string'],
        ]) }} as evidence,
        'Review whether ' || part_number_b || ' is the same part as ' || part_number_a
        || ': plansignal review accept ' || match_review_id
        || ' --by NAME --note TEXT merges them, plansignal review reject '
        || match_review_id || ' --by NAME --note TEXT keeps them apart.' as proposed_change
    from part_match_review
    -- a rejected pair is decided: no longer a finding
    where review_status = 'proposed'

),

final as (

    {{ finding_rows('candidate_pairs', kind, keys=['related_canonical_part_id']) }}

)

select * from final
