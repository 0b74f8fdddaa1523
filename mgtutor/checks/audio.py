"""Exercise checkers for notebooks 01–03 (audio signals, STFT, mel and MFCC)."""

from __future__ import annotations

__all__: list[str] = []
