"""Tests of the shipped corpus bundle (mgtutor/data/corpus_bundle.json.gz): what it holds, that its entries are what
a fresh parse gives, and that a source file it was not made from is parsed and cached as before.

References: fresh music21 parses through the course's own parsing rules, with an empty course cache.
"""

from __future__ import annotations

import copy
import gzip
import json
from importlib import resources

import pytest

from mgtutor import data
from mgtutor.data import corpora


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("MGTUTOR_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / f"symbolic-v{data.CACHE_VERSION}"


@pytest.fixture
def parse_calls(monkeypatch):
    import music21.converter

    calls = []
    real = music21.converter.parse
    monkeypatch.setattr(music21.converter, "parse", lambda *a, **k: calls.append(a) or real(*a, **k))
    return calls


def test_bundle_is_small_and_covers_every_distinct_chorale():
    raw = resources.files("mgtutor.data").joinpath(corpora.BUNDLE_FILE).read_bytes()
    assert len(raw) < 1_000_000
    bundle = json.loads(gzip.decompress(raw))
    assert bundle["version"] == data.CACHE_VERSION
    assert list(bundle["chorales"]) == sorted(data.chorale_names() + list(corpora.BUNDLE_EXTRA_CHORALES))
    assert sorted(bundle["folk"]) == sorted(corpora.BUNDLE_FOLK_FILES)
    for name, entry in bundle["chorales"].items():  # made from the installed corpus (else: rebuild it)
        assert corpora._matches(entry, data.chorale_file(name)), f"{name}: rebuild the bundle (module docstring)"
    for relative, entry in bundle["folk"].items():
        assert corpora._matches(entry, corpora._folk_file(relative)), relative


def test_warm_from_the_bundle_without_parsing(empty_cache, parse_calls):
    pieces = data.chorales(limit=len(data.chorale_names()))
    assert data.chorale_excerpt("bach/bwv66.6", 8.0)  # notebooks 02 and 03
    songs = data.folk_songs(limit=200) + data.folk_songs(limit=200, collections=("oneills1850",))
    assert len(pieces) == 350 and len(songs) == 400
    assert parse_calls == [] and not empty_cache.exists()


SAMPLE = ["bach/bwv269", "bach/bwv66.6", "bach/bwv36.4-2", "bach/bwv432", "bach/bwv18.5-l", "bach/bwv244.10"]


@pytest.mark.parametrize("name", SAMPLE + [data.chorale_names()[k] for k in (0, 57, 199, 349)])
def test_a_bundled_chorale_is_what_a_fresh_parse_gives(name, empty_cache, monkeypatch):
    bundled = data.chorale(name)
    monkeypatch.setattr(corpora, "USE_BUNDLE", False)
    fresh = data.chorale(name)
    assert bundled == fresh  # notes, times, key, metre, name: entry for entry
    assert bundled.to_dict() == fresh.to_dict()


@pytest.mark.parametrize("relative", corpora.BUNDLE_FOLK_FILES)
def test_bundled_folk_tunes_are_what_a_fresh_parse_gives(relative, empty_cache):
    path = corpora._folk_file(relative)
    tunes = corpora._split_abc(path.read_text(encoding="latin-1"))
    fresh = corpora._parse_abc_tunes(path, tunes[:8])
    bundled = corpora._bundled("folk", relative, path)
    assert len(fresh) >= 6 and bundled[: len(fresh)] == fresh
    assert len(tunes) >= len(bundled) > 0.9 * len(tunes)


def test_bundled_folk_songs_equal_the_parsing_path(empty_cache, monkeypatch):
    songs = data.folk_songs(limit=12, collections=("oneills1850",))
    monkeypatch.setattr(corpora, "USE_BUNDLE", False)
    assert data.folk_songs(limit=12, collections=("oneills1850",)) == songs


def _bundle_with(monkeypatch, section: str, key: str, **changes) -> dict:
    bundle = copy.deepcopy(corpora._bundle())
    bundle[section][key].update(changes)
    monkeypatch.setattr(corpora, "_bundle", lambda: bundle)
    return bundle


def test_a_matching_entry_is_served_as_stored(empty_cache, parse_calls, monkeypatch):
    entry = corpora._bundle()["chorales"]["bach/bwv66.6"]
    marked = [{**entry["pieces"][0], "name": "from the bundle"}]
    _bundle_with(monkeypatch, "chorales", "bach/bwv66.6", pieces=marked)
    assert data.chorale("bach/bwv66.6").name == "from the bundle" and parse_calls == []


@pytest.mark.parametrize("change", [{"sha256": "0" * 64}, {"size": 1}, {"file": "bwv66.6.krn"}])
def test_a_mismatching_source_falls_back_to_parsing(change, empty_cache, parse_calls, monkeypatch):
    expected = data.chorale("bach/bwv66.6")
    marked = [{**corpora._bundle()["chorales"]["bach/bwv66.6"]["pieces"][0], "name": "stale"}]
    _bundle_with(monkeypatch, "chorales", "bach/bwv66.6", pieces=marked, **change)
    assert data.chorale("bach/bwv66.6") == expected and len(parse_calls) == 1  # parsed …
    assert len(list(empty_cache.glob("chorale-*.json"))) == 1  # … and cached as without a bundle
    assert data.chorale("bach/bwv66.6") == expected and len(parse_calls) == 1


def test_a_mismatching_folk_file_falls_back_to_parsing(empty_cache, parse_calls, monkeypatch):
    expected = data.folk_songs(limit=3, collections=("oneills1850",))
    _bundle_with(monkeypatch, "folk", "oneills1850/0001-0050.abc", sha256="0" * 64, pieces=[])
    assert data.folk_songs(limit=3, collections=("oneills1850",)) == expected and len(parse_calls) == 3
    assert [f.name for f in empty_cache.glob("folk-*.json")] == [
        f"folk-{corpora._key('oneills1850/0001-0050.abc')}-3of50.json"]


def test_a_bundle_of_another_cache_version_is_ignored(monkeypatch):
    real = resources.files("mgtutor.data").joinpath(corpora.BUNDLE_FILE).read_bytes()
    monkeypatch.setattr(corpora, "CACHE_VERSION", data.CACHE_VERSION + 1)
    corpora._bundle.cache_clear()
    try:
        assert corpora._bundle() == {}
    finally:
        monkeypatch.undo()
        corpora._bundle.cache_clear()
    assert corpora._bundle()["version"] == data.CACHE_VERSION and len(real) > 0


def test_write_bundle_rebuilds_the_same_entries(tmp_path, monkeypatch):
    """The rebuild command's output, restricted to a few entries so it stays quick (the cache serves the rest)."""
    monkeypatch.setattr(corpora, "chorale_names", lambda unique=True: ["bach/bwv269"])
    monkeypatch.setattr(corpora, "BUNDLE_EXTRA_CHORALES", ("bach/bwv66.6",))
    monkeypatch.setattr(corpora, "BUNDLE_FOLK_FILES", ("oneills1850/0001-0050.abc",))
    monkeypatch.setenv("MGTUTOR_CACHE", str(tmp_path / "cache"))
    target = corpora.write_bundle(tmp_path / "bundle.json.gz")
    try:
        written = json.loads(gzip.decompress(target.read_bytes()))
        shipped = corpora._bundle()
        assert written["chorales"] == {n: shipped["chorales"][n] for n in ("bach/bwv269", "bach/bwv66.6")}
        assert written["folk"] == {"oneills1850/0001-0050.abc": shipped["folk"]["oneills1850/0001-0050.abc"]}
        assert corpora.write_bundle(tmp_path / "again.json.gz").read_bytes() == target.read_bytes()  # reproducible
    finally:
        corpora._bundle.cache_clear()
