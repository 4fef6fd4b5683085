"""trustloop: a trust-evidence warehouse for AI customer-support agents.

``from trustloop import lookup`` gives the trust lookup (trustloop.trust.lookup);
it is imported on first use, so ``import trustloop`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from trustloop.trust.lookup import lookup

__all__ = ["lookup"]


def __getattr__(name: str) -> Any:
    if name == "lookup":
        from trustloop.trust.lookup import lookup

        return lookup
    raise AttributeError(f"module 'trustloop' has no attribute {name!r}")
