"""How a rate reads in text outputs (the CLI, memos, the control map, the trust lookup): one place."""

from __future__ import annotations

from typing import Any


def percent(value: Any, missing: str = "n/a") -> str:
    """A rate in [0, 1] as a percentage with one decimal (0.9512 -> '95.1%'); ``missing`` when there is none."""
    return missing if value is None else f"{100 * float(value):.1f}%"
