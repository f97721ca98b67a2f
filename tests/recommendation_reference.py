"""Reference computation of the recommended lead time's confidence interval, written
independently of the SQL (mart_supplier_lead_times) from the documented rule."""

from __future__ import annotations

from math import comb


def order_statistic_interval(
    lead_times: list[int] | list[float], q: float, level: float
) -> tuple[float | None, float | None]:
    """x(l), x(u): the distribution-free interval of the q-quantile at the two-sided level.

    l is the largest rank with P(B <= l - 1) <= (1 - level) / 2 and u the smallest with
    P(B <= u - 1) >= 1 - (1 - level) / 2, B ~ Binomial(n, q); None where no rank qualifies.
    """
    n, alpha = len(lead_times), 1 - level
    ordered = sorted(lead_times)
    cdf_before = []  # P(B <= k - 1) for rank k = 1..n
    total = 0.0
    for k in range(1, n + 1):
        total += comb(n, k - 1) * q ** (k - 1) * (1 - q) ** (n - k + 1)
        cdf_before.append(total)
    low = [k for k in range(1, n + 1) if cdf_before[k - 1] <= alpha / 2 + 1e-12]
    high = [k for k in range(1, n + 1) if cdf_before[k - 1] >= 1 - alpha / 2 - 1e-12]
    return (ordered[max(low) - 1] if low else None, ordered[min(high) - 1] if high else None)


def is_confident(
    low: float | None, high: float | None, recommended: float, policy: dict
) -> bool:
    """The documented rule: both bounds exist and the interval is not wider than both the
    days and the ratio limit."""
    if low is None or high is None:
        return False
    width = high - low
    return not (
        width > policy["recommended_lead_time_ci_max_width_days"]
        and width > policy["recommended_lead_time_ci_max_width_ratio"] * recommended
    )
