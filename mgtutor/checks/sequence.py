"""Exercise checkers for notebooks 05–06 (RNN/LSTM/GRU, melody generation)."""

from __future__ import annotations

__all__: list[str] = []
