"""mgtutor.provenance: licence conditions read from the registry's own words (hand-checked per dataset), the credit
and disclosure lines, and the disclosure carried by a MIDI file (read back by mido and found in the raw bytes)."""

import re

import pytest

from mgtutor import fetch, provenance
from mgtutor.provenance import ProvenanceError
from mgtutor.symbolic import Note

# Read by hand from each entry's licence text in mgtutor/fetch.py.
EXPECTED_TERMS = {
    "jsb_chorales": ("public domain", "none stated"),
    "piano_midi": ("attribution", "share-alike", "none stated"),
    "nottingham": ("none stated",),
    "musedata": ("attribution", "non-commercial", "no redistribution"),
    "jsb_chorales_quarter": ("public domain", "none stated"),
    # its own text names none; it bundles the four benchmarks and inherits all of their conditions
    "boulanger_tcn_mat": ("attribution", "non-commercial", "share-alike", "no redistribution", "public domain",
                          "none stated"),
    "maestro_v3_midi": ("attribution", "non-commercial", "share-alike"),
    "lakh_clean_midi": ("attribution",),
    "lakh_full": ("attribution",),
    "nsynth_test": ("attribution",),
}


def test_every_registry_entry_has_a_hand_checked_expectation():
    assert set(EXPECTED_TERMS) == set(fetch.REGISTRY)


@pytest.mark.parametrize("name", sorted(EXPECTED_TERMS))
def test_licence_terms(name):
    assert provenance.licence_terms(name) == EXPECTED_TERMS[name]
    assert provenance.licence_terms(fetch.REGISTRY[name]) == EXPECTED_TERMS[name]


def test_every_bundle_names_its_members_and_inherits_their_terms():
    """An entry whose licence text sends the reader to other entries ("the piano rolls keep the terms of their
    sources (see jsb_chorales, …)") bundles them: it must list them in ``bundles``, and carry each one's terms."""
    names = set(fetch.REGISTRY)
    for d in fetch.REGISTRY.values():
        mentioned = (names - {d.name}) & set(re.findall(r"[a-z0-9_]+", d.licence))
        assert mentioned <= set(d.bundles), f"{d.name}: its licence names {sorted(mentioned)}; list them in bundles"
        assert set(d.bundles) <= names, f"{d.name}: bundles unknown datasets"
        for member in d.bundles:
            assert set(provenance.licence_terms(member)) <= set(provenance.licence_terms(d)), (d.name, member)
    assert fetch.REGISTRY["boulanger_tcn_mat"].bundles  # the one bundle today


def test_by_as_a_word_is_not_attribution():
    d = fetch.REGISTRY["nottingham"]
    assert " by " in d.licence and "attribution" not in provenance.licence_terms(d)


def test_licence_table_has_a_row_per_dataset_and_no_stray_pipes():
    table = provenance.licence_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(fetch.REGISTRY)
    assert all(line.count(" | ") == 3 for line in lines[2:])
    assert "| `maestro_v3_midi` | symbolic | CC BY-NC-SA 4.0 | attribution, non-commercial, share-alike |" in table
    assert provenance.licence_table(["nsynth_test"]).splitlines()[2].startswith("| `nsynth_test` | audio |")


def test_unknown_dataset():
    with pytest.raises(ProvenanceError, match="maestro_v3_midi"):
        provenance.licence_terms("maestro")
    with pytest.raises(ProvenanceError):
        provenance.dataset_credit("no such data")


def test_credit_and_disclosure_lines():
    d = fetch.REGISTRY["nsynth_test"]
    credit = provenance.dataset_credit("nsynth_test")
    assert credit == f"Training data: {d.title} (CC BY 4.0). Cite: {d.citation}"
    line = provenance.disclosure("melody LSTM, seed 0", "chorales (public domain)")
    assert line.startswith("AI-generated music. Model: melody LSTM, seed 0. Trained on: chorales (public domain).")
    assert line.endswith("Human part: none (the notes are the model's output, unedited).")
    assert provenance.disclosure("m", "d", "chose the primer").endswith("Human part: chose the primer.")
    with pytest.raises(ProvenanceError, match="names the model and its training data"):
        provenance.disclosure(" ", "d")


def test_disclosure_travels_in_the_midi_file(tmp_path):
    text = provenance.disclosure("melody LSTM, seed 0", "chorales (public domain)")
    path = provenance.write_disclosed_midi([Note(60, 0.0, 1.0), Note(64, 1.0, 2.0)], tmp_path / "a" / "x.mid", text)
    assert provenance.read_midi_texts(path) == [text]
    raw = path.read_bytes()
    # a text meta event by hand: FF 01, a variable-length byte count, the bytes
    n = len(text)
    length = bytes([0x80 | (n >> 7), n & 0x7F]) if n >= 128 else bytes([n])
    assert b"\xff\x01" + length + text.encode("ascii") in raw
    import pretty_midi

    back = pretty_midi.PrettyMIDI(str(path))
    assert [n.pitch for n in back.instruments[0].notes] == [60, 64]
    assert [t.text for t in back.text_events] == [text]


@pytest.mark.parametrize(("text", "phrase"), [("", "empty"), ("   ", "empty"), ("KI-erzeugt — Musik", "plain ASCII"),
                                              ("AI 生成", "plain ASCII"), ("two\nlines", "plain ASCII")])
def test_text_a_midi_event_cannot_carry(tmp_path, text, phrase):
    with pytest.raises(ProvenanceError, match=phrase):
        provenance.write_disclosed_midi([Note(60, 0.0, 1.0)], tmp_path / "x.mid", text)
    assert not (tmp_path / "x.mid").exists()


def test_unreadable_midi(tmp_path):
    (tmp_path / "bad.mid").write_bytes(b"MThd not really")
    with pytest.raises(ProvenanceError, match="not a readable MIDI file"):
        provenance.read_midi_texts(tmp_path / "bad.mid")
    with pytest.raises(ProvenanceError, match="not a readable MIDI file"):
        provenance.read_midi_texts(tmp_path / "missing.mid")
