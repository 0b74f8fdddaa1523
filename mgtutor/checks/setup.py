"""Exercise checkers for notebook 00 (welcome and set-up)."""

from __future__ import annotations

__all__: list[str] = []
