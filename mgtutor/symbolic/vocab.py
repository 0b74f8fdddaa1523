"""Token vocabularies: token ↔ integer id, saved to and loaded from JSON.

Part of mgtutor.symbolic. See notebooks/04_symbolic_music.ipynb §4.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from mgtutor.symbolic.core import SymbolicError

PAD = "<pad>"
"""Padding token, always id 0 (so a Keras ``Embedding(mask_zero=True)`` masks it)."""
START = "<start>"
"""Start-of-sequence token, always id 1."""
END = "<end>"
"""End-of-sequence token, always id 2."""
SPECIALS = (PAD, START, END)


class VocabularyError(SymbolicError):
    """A token or id is not in the vocabulary, or a vocabulary file is malformed."""


def _token_order(token: str) -> tuple:
    # numbers ascending after the non-numeric tokens, so "60" < "61" < "100"
    return (1, int(token), "") if token.lstrip("-").isdigit() else (0, 0, token)


class Vocabulary:
    """A fixed list of tokens; a token's id is its index. Ids 0, 1, 2 are ``<pad>``, ``<start>``, ``<end>``.

    Args:
        tokens: the non-special tokens, in id order (after the three specials); no duplicates.
        kind: a label saved with the vocabulary (``"melody-grid"``, ``"events"``, ...).
    Raises:
        VocabularyError: a token is repeated, empty, or is one of the specials.
    See: notebooks/04_symbolic_music.ipynb §4.
    """

    def __init__(self, tokens: Sequence[str], kind: str = "tokens") -> None:
        tokens = [str(t) for t in tokens]
        if len(set(tokens)) != len(tokens):
            dup = sorted({t for t in tokens if tokens.count(t) > 1})[:5]
            raise VocabularyError(f"vocabulary tokens must be unique; repeated: {dup}")
        bad = [t for t in tokens if not t or t in SPECIALS]
        if bad:
            raise VocabularyError(f"vocabulary tokens must be non-empty and not specials {SPECIALS}; got {bad[:5]}")
        self.kind = kind
        self.id_to_token: list[str] = [*SPECIALS, *tokens]
        self.token_to_id: dict[str, int] = {t: i for i, t in enumerate(self.id_to_token)}

    pad_id = 0
    start_id = 1
    end_id = 2

    @classmethod
    def from_sequences(cls, sequences: Iterable[Iterable[str]], kind: str = "tokens") -> Vocabulary:
        """The vocabulary of every token seen in ``sequences``, in a deterministic order.

        Order: words (like ``"_"``, ``"r"``) alphabetically, then numbers ascending.
        """
        seen = {t for seq in sequences for t in seq if t not in SPECIALS}
        return cls(sorted(seen, key=_token_order), kind=kind)

    def __len__(self) -> int:
        return len(self.id_to_token)

    def __contains__(self, token: str) -> bool:
        return token in self.token_to_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and other.id_to_token == self.id_to_token and other.kind == self.kind

    def __repr__(self) -> str:
        return f"Vocabulary(kind={self.kind!r}, size={len(self)})"

    def encode(self, tokens: Iterable[str], add_start_end: bool = False) -> np.ndarray:
        """Map tokens to ids (int32), optionally framed by ``<start>`` … ``<end>``.

        Raises:
            VocabularyError: a token is unknown (the message names it and its position).
        """
        ids = []
        for i, t in enumerate(tokens):
            try:
                ids.append(self.token_to_id[t])
            except KeyError:
                raise VocabularyError(
                    f"token {t!r} at position {i} is not in this {self.kind} vocabulary of {len(self)} tokens; "
                    "build the vocabulary from all splits (Vocabulary.from_sequences) or use a wider one"
                ) from None
        if add_start_end:
            ids = [self.start_id, *ids, self.end_id]
        return np.asarray(ids, dtype=np.int32)

    def decode(self, ids: Iterable[int], strip_special: bool = True) -> list[str]:
        """Map ids back to tokens; with ``strip_special`` drop ``<pad>``/``<start>`` and stop at ``<end>``.

        Raises:
            VocabularyError: an id is outside 0 … len(vocabulary)-1.
        """
        out = []
        for i, raw in enumerate(ids):
            k = int(raw)
            if not 0 <= k < len(self.id_to_token):
                raise VocabularyError(f"id {k} at position {i} is outside this vocabulary (0…{len(self) - 1})")
            if strip_special:
                if k == self.end_id:
                    break
                if k in (self.pad_id, self.start_id):
                    continue
            out.append(self.id_to_token[k])
        return out

    def save(self, path: str | os.PathLike) -> Path:
        """Write the vocabulary as JSON (atomically: a reader never sees half a file). Returns the path."""
        from mgtutor.files import atomic_write_text

        data = {"format": "mgtutor-vocabulary", "version": 1, "kind": self.kind, "tokens": self.id_to_token}
        return atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=0))

    @classmethod
    def load(cls, path: str | os.PathLike) -> Vocabulary:
        """Read a vocabulary written by :meth:`save`.

        Raises:
            FileNotFoundError: no such file.
            VocabularyError: the file is not a vocabulary (the message names the file and what is wrong).
        """
        path = Path(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise VocabularyError(
                f"{path}: not a JSON vocabulary file ({exc}); write one with Vocabulary.save"
            ) from exc
        if not isinstance(data, dict) or data.get("format") != "mgtutor-vocabulary":
            raise VocabularyError(f"{path}: missing 'format': 'mgtutor-vocabulary'; write it with Vocabulary.save")
        tokens = data.get("tokens")
        if not isinstance(tokens, list) or tuple(tokens[:3]) != SPECIALS:
            raise VocabularyError(f"{path}: 'tokens' must be a list starting with {list(SPECIALS)}")
        return cls(tokens[3:], kind=str(data.get("kind", "tokens")))
