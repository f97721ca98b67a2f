{#
    normal_inverse_cdf against reference quantiles of the standard normal distribution
    (scipy.stats.norm.ppf), in the central region and both tails: within 1e-8.
#}

-- Shown in Dagster as a check on mart_safety_stock_review (z for the recommended
-- safety stock); the test reads no model: the depends_on line attaches it (a singular test without a
-- dependency would be no asset check and Dagster would log an observation instead).
-- depends_on: {{ ref('mart_safety_stock_review') }}

with

reference_quantiles as (

    select
        reference.p,
        reference.z
    from (
        values
        (0.5, 0.0),
        (0.8413447460685429, 1.0),
        (0.9, 1.2815515655446004),
        (0.95, 1.6448536269514722),
        (0.975, 1.959963984540054),
        (0.98, 2.0537489106318225),
        (0.99, 2.3263478740408408),
        (0.999, 3.090232306167813),
        (0.01, -2.3263478740408408),
        (0.02, -2.0537489106318225),
        (0.3, -0.5244005127080407)
    ) as reference (p, z)

),

computed as (

    select
        p,
        z,
        {{ normal_inverse_cdf('p') }} as z_computed
    from reference_quantiles

)

select * from computed
where z_computed is null or abs(z_computed - z) > 0.00000001
