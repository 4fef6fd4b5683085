"""Small statistics used when a report pools weekly rows of a mart (same formulas as dbt)."""

from __future__ import annotations

import math

WILSON_Z = 1.959964  # dbt var wilson_z


def wilson(numerator: float, denominator: float, z: float = WILSON_Z) -> tuple[float, float] | tuple[None, None]:
    """Wilson score interval of numerator/denominator, as the dbt macros wilson_lower/upper compute it."""
    if not denominator:
        return None, None
    p = numerator / denominator
    centre = p + z * z / (2.0 * denominator)
    spread = z * math.sqrt(p * (1 - p) / denominator + z * z / (4.0 * denominator * denominator))
    scale = 1 + z * z / denominator
    return (centre - spread) / scale, (centre + spread) / scale


def pooled_rate(rows: list[dict]) -> dict | None:
    """Pool weekly rate rows (numerator/denominator) into one rate with its Wilson interval."""
    num = sum(int(r["numerator"] or 0) for r in rows)
    den = sum(int(r["denominator"] or 0) for r in rows)
    if den == 0:
        return None
    lower, upper = wilson(num, den)
    return {"numerator": num, "denominator": den, "value": num / den, "lower": lower, "upper": upper}
