"""Exercise checkers for notebook 04 (symbolic music)."""

from __future__ import annotations

__all__: list[str] = []
