"""Where a generated piece comes from: the licences of the training data, credits, and a disclosure in the file.

Part of mgtutor. See notebooks/12_applications_and_ethics.ipynb §2–§3.

* :func:`licence_terms` reads the conditions a dataset's licence imposes from the registry's own words
  (:data:`mgtutor.fetch.REGISTRY`: ``licence`` and ``licence_short``); :func:`licence_table` lists every dataset.
  It reads what the registry says, and says nothing the registry does not: it is not legal advice.
* :func:`dataset_credit` is the line that credits a dataset (title, licence, the paper to cite);
  :func:`disclosure` the line that says a piece was made by a model, by which one and from which data.
* :func:`write_disclosed_midi` writes notes to a MIDI file with the disclosure as a text meta event (type 0x01 at
  time 0), so that a program can read it (:func:`read_midi_texts`), not only a person. Such a mark is easy to
  strip: it discloses, it does not protect.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mgtutor.errors import MgtutorError

__all__ = ["ProvenanceError", "TERMS", "licence_terms", "licence_table", "dataset_credit", "disclosure",
           "write_disclosed_midi", "read_midi_texts"]

TERMS = ("attribution", "non-commercial", "share-alike", "no redistribution", "public domain", "none stated")
"""The conditions :func:`licence_terms` recognises, in the order it reports them."""

_RULES = {  # Creative Commons' short forms in capitals only ("by" is also an English word), words in any case
    "attribution": r"\bBY\b|(?i:attribution|acknowledge)",
    "non-commercial": r"\bNC\b|(?i:non-commercial|academic research|personal use only)",
    "share-alike": r"\bSA\b|(?i:share-alike)",
    "no redistribution": r"(?i:no redistribution)",
    "public domain": r"(?i:public domain)",
    "none stated": r"(?i:no licence stated|none stated)",
}


class ProvenanceError(MgtutorError, ValueError):
    """An unknown dataset, text a MIDI text event cannot carry, or a file that is not readable MIDI."""


def _dataset(dataset):
    from mgtutor.fetch import Dataset, FetchError, get_dataset

    if isinstance(dataset, Dataset):
        return dataset
    try:
        return get_dataset(dataset)
    except FetchError as exc:
        raise ProvenanceError(str(exc)) from None


def licence_terms(dataset) -> tuple[str, ...]:
    """The conditions a dataset's licence names, read from its registry entry, with those of every dataset it
    bundles.

    Rule: a condition of :data:`TERMS` applies when the entry's ``licence`` or ``licence_short`` names it, in
    Creative Commons' short form, in capitals (BY, NC, SA), or in words, in any case (attribution, acknowledge,
    non-commercial, academic research, share-alike, no redistribution, public domain, no licence stated). A bundle
    (``Dataset.bundles``, e.g. the four benchmarks in one download) inherits the conditions of each member: a copy
    of MuseData is not free to redistribute because it came with other files.
    Args:
        dataset: a :class:`mgtutor.fetch.Dataset` or its registry name.
    Returns:
        The conditions found, in the order of :data:`TERMS`.
    Raises:
        ProvenanceError: an unknown name (the message lists close ones), here or among a bundle's members.
    See: notebooks/12_applications_and_ethics.ipynb §2.
    """
    d = _dataset(dataset)
    text = f"{d.licence} {d.licence_short}"
    found = {term for term in TERMS if re.search(_RULES[term], text)}
    for member in d.bundles:
        found.update(licence_terms(member))
    return tuple(term for term in TERMS if term in found)


def licence_table(datasets=None) -> str:
    """A markdown table of datasets with their licence (``licence_short``) and :func:`licence_terms`.

    Args:
        datasets: registry names or :class:`mgtutor.fetch.Dataset` objects; every registry entry by default.
    Returns:
        Markdown, one row per dataset in the registry's order.
    See: notebooks/12_applications_and_ethics.ipynb §2.
    """
    from mgtutor.fetch import REGISTRY

    rows = ["| dataset | kind | licence | conditions named |", "|---|---|---|---|"]
    for item in (REGISTRY.values() if datasets is None else datasets):
        d = _dataset(item)
        licence = d.licence_short or d.licence
        if d.bundles:
            licence += f" (bundles {', '.join(d.bundles)})"
        cells = (f"`{d.name}`", d.kind, licence, ", ".join(licence_terms(d)) or "—")
        rows.append("| " + " | ".join(c.replace("|", "/") for c in cells) + " |")
    return "\n".join(rows)


def dataset_credit(dataset) -> str:
    """The line that credits a dataset: ``Training data: <title> (<licence>). Cite: <citation>``.

    Raises:
        ProvenanceError: an unknown name.
    See: notebooks/12_applications_and_ethics.ipynb §3.
    """
    d = _dataset(dataset)
    return f"Training data: {d.title} ({d.licence_short or d.licence}). Cite: {d.citation}"


def disclosure(model: str, training_data: str, human_part: str | None = None) -> str:
    """The line that discloses a generated piece: ``AI-generated music. Model: … Trained on: … Human part: …``.

    Args:
        model: which model made it (e.g. the run directory and seed).
        training_data: what it was trained on, with the licence.
        human_part: what a person chose or changed; ``None`` says that no person edited the notes.
    Raises:
        ProvenanceError: an empty ``model`` or ``training_data``.
    See: notebooks/12_applications_and_ethics.ipynb §3.
    """
    if not model.strip() or not training_data.strip():
        raise ProvenanceError("a disclosure names the model and its training data; one of them is empty")
    human = human_part.strip() if human_part else "none (the notes are the model's output, unedited)"
    return f"AI-generated music. Model: {model.strip()}. Trained on: {training_data.strip()}. Human part: {human}."


def _check_text(text: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ProvenanceError("the disclosure text is empty")
    if not text.isascii() or not text.isprintable():
        bad = sorted({c for c in text if not (c.isascii() and c.isprintable())})
        raise ProvenanceError(f"a MIDI text event carries bytes that readers take as ASCII; the text has other "
                              f"characters {bad[:5]}: write it in plain ASCII")
    return text


def write_disclosed_midi(music, path: str | os.PathLike, text: str, tempo: float = 120.0) -> Path:
    """Write notes to a MIDI file that carries ``text`` as a text meta event (FF 01) at time 0.

    Args:
        music: a list of :class:`mgtutor.symbolic.Note` or melody-grid tokens (as :func:`mgtutor.render.write_midi`).
        path: the ``.mid`` file (folders are created).
        text: the disclosure, plain printable ASCII.
        tempo: quarter notes per minute.
    Returns:
        The path written.
    Raises:
        ProvenanceError: empty or non-ASCII text. RenderError: nothing to write, or a bad tempo.
    See: notebooks/12_applications_and_ethics.ipynb §3.
    """
    import pretty_midi

    from mgtutor.files import atomic_path
    from mgtutor.render import to_pretty_midi

    text = _check_text(text)
    pm = to_pretty_midi(music, tempo)
    pm.text_events.append(pretty_midi.Text(text, 0.0))
    with atomic_path(path, suffix=".mid") as tmp:
        pm.write(str(tmp))
    return Path(path)


def read_midi_texts(path: str | os.PathLike) -> list[str]:
    """Every text meta event (FF 01) of a MIDI file, in file order (track by track).

    Raises:
        ProvenanceError: the file is missing or not a readable MIDI file.
    See: notebooks/12_applications_and_ethics.ipynb §3.
    """
    import mido

    try:
        midi = mido.MidiFile(str(path))
    except (OSError, EOFError, ValueError, KeyError, IndexError) as exc:
        raise ProvenanceError(f"{path}: not a readable MIDI file ({type(exc).__name__}: {exc})") from None
    return [m.text for track in midi.tracks for m in track if m.is_meta and m.type == "text"]
