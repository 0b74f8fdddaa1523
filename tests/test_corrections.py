"""The corrections index (mgtutor.corrections): every link resolves to a heading of an existing notebook."""

import json
import re
from pathlib import Path

import pytest

from mgtutor import corrections
from mgtutor.corrections import CITED, CORRECTED, CORRECTIONS, PENDING, SHOWN

ROOT = Path(__file__).resolve().parent.parent
COURSE_NOTEBOOKS = {f"{n:02d}" for n in range(13)}


def markdown_headings(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [line for c in cells if c["cell_type"] == "markdown"
            for line in ("".join(c["source"]) if isinstance(c["source"], list) else c["source"]).splitlines()
            if re.match(r"#{1,6} ", line)]


def cell_ids(notebook: Path) -> set[str]:
    return {c.get("id") for c in json.loads(notebook.read_text(encoding="utf-8"))["cells"]}


@pytest.mark.parametrize("row", [c for c in CORRECTIONS if c.link], ids=lambda c: f"{c.section} nb{c.notebook}")
def test_every_link_names_an_existing_notebook_and_a_heading_or_cell_in_it(row):
    path, hash_, anchor = row.link.partition("#")
    assert hash_ and anchor, f"{row.link}: link to a section (#anchor), not just a notebook"
    assert path.startswith(f"notebooks/{row.notebook}_") and path.endswith(".ipynb"), row.link
    notebook = ROOT / path
    assert notebook.is_file(), f"{path} does not exist"
    anchors = [corrections.heading_anchor(h) for h in markdown_headings(notebook)]
    assert anchor in anchors or anchor in cell_ids(notebook), (
        f"{row.link}: no heading with anchor {anchor!r} (or cell id) in {path}; its headings: {anchors}")


def linked_section(notebook: Path, anchor: str) -> list[dict]:
    """The cells of the section a link names: from its heading to the next heading of the same or a higher level
    (or the one cell whose id it is)."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    for i, cell in enumerate(cells):
        if cell.get("id") == anchor:
            return [cell]
        text = "".join(cell["source"])
        heading = next((line for line in text.splitlines() if re.match(r"#{1,6} ", line)), None)
        if cell["cell_type"] == "markdown" and heading and corrections.heading_anchor(heading) == anchor:
            level = len(heading) - len(heading.lstrip("#"))
            section = [cell]
            for later in cells[i + 1:]:
                first = "".join(later["source"]).lstrip().split("\n", 1)[0]
                if later["cell_type"] == "markdown" and re.match(rf"#{{1,{level}}} ", first):
                    break
                section.append(later)
            return section
    raise AssertionError(f"{anchor!r} not found in {notebook.name}")


@pytest.mark.parametrize("row", [c for c in CORRECTIONS if c.status == CORRECTED],
                         ids=lambda c: f"{c.section} nb{c.notebook}")
def test_every_corrected_row_links_to_an_executed_proof(row):
    """'Corrected, executed proof' is true only where the linked section holds a code cell with an assert whose
    stored output says ✔."""
    path, _, anchor = row.link.partition("#")
    section = linked_section(ROOT / path, anchor)
    proofs = [c for c in section if c["cell_type"] == "code" and re.search(r"^\s*(assert|np\.testing\.assert)",
                                                                          "".join(c["source"]), re.M)
              and any("✔" in "".join(o.get("text", "")) for o in c.get("outputs", []))]
    assert proofs, f"{row.link}: no code cell there both asserts and prints ✔"


@pytest.mark.parametrize("row", [c for c in CORRECTIONS if c.status == CITED],
                         ids=lambda c: f"{c.section} nb{c.notebook}")
def test_every_cited_row_shows_its_source_and_claims_no_proof(row):
    """A fact of record is corrected by its source: the linked section names every arXiv identifier of the row's
    source, and no cell there prints a ✔ (nothing executed could prove it)."""
    path, _, anchor = row.link.partition("#")
    section = linked_section(ROOT / path, anchor)
    text = " ".join("".join(c["source"]) for c in section)
    for arxiv in re.findall(r"arXiv:(\d{4}\.\d{4,5})", row.source):
        assert arxiv in text, f"{row.link}: the section does not name arXiv:{arxiv} of the row's source"
    outputs = " ".join("".join(o.get("text", "")) for c in section if c["cell_type"] == "code" for o in c["outputs"])
    assert "✔" not in outputs, f"{row.link}: a ✔ claims an executed proof of a fact of record"


def test_status_and_link_agree():
    for row in CORRECTIONS:
        assert row.status in (CORRECTED, CITED, SHOWN, PENDING)
        assert row.notebook in COURSE_NOTEBOOKS
        assert (row.link is None) == (row.status == PENDING), row
    # every notebook of the course exists, so every claim must be corrected by one: with an executed proof, or,
    # for a fact of record, by its primary source
    assert [row for row in CORRECTIONS if row.status not in (CORRECTED, CITED)] == []
    assert [row.section for row in corrections.rows(CITED)] == ["§7.3.1"]
    assert corrections.rows(PENDING) == corrections.rows(SHOWN) == []
    assert len(corrections.rows()) == len(CORRECTIONS)
    with pytest.raises(ValueError, match="unknown status 'done'"):
        corrections.rows("done")


def test_claims_are_paraphrased_not_quoted():
    for row in CORRECTIONS:
        for text in (row.claim, row.correct):
            assert not re.search(r"[\u4e00-\u9fff]", text), f"Chinese text (a quote?) in {text!r}"
            assert not re.search(r"[\"“”「」]", text), f"quotation marks in {text!r}"


@pytest.mark.parametrize("heading, anchor", [
    ("## 4. The LSTM and its cell state", "4.-The-LSTM-and-its-cell-state"),
    ("## 8. Four wrong statements, corrected", "8.-Four-wrong-statements,-corrected"),
    ("## 5. The GRU and `reset_after`", "5.-The-GRU-and-reset_after"),
    ("### **Python** is *not* a pip package", "Python-is-not-a-pip-package"),
    ("## 7. Chroma, briefly: the pitch that MFCCs discard", "7.-Chroma,-briefly:-the-pitch-that-MFCCs-discard"),
])
def test_heading_anchor_matches_jupyterlab(heading, anchor):
    # JupyterLab: id = rendered heading text with every " " replaced by "-" (punctuation kept).
    assert corrections.heading_anchor(heading) == anchor


def test_markdown_table_links_relative_to_the_notebook_folder():
    table = corrections.markdown_table()
    lines = table.splitlines()
    assert len(lines) == 2 + len(CORRECTIONS)
    assert "](05_rnn_lstm_from_scratch.ipynb#5.-A-version-that-drops-the-cell-state)" in table
    assert "](notebooks/05_rnn_lstm_from_scratch.ipynb#" in corrections.markdown_table(from_dir="")
    assert all(line.count(" | ") == 5 for line in lines[2:]), "a cell contains a '|'"
    assert table.count("… pending") == len(corrections.rows(PENDING))
    assert "| Hochreiter & Schmidhuber 1997, Neural Computation 9(8);" in table


def test_every_row_names_a_primary_source():
    for row in CORRECTIONS:
        assert len(row.source) >= 10, f"{row.section}: no primary source"
        assert re.search(r"\b(1[89]|20)\d\d\b|\.org|\.io|\.com", row.source), f"{row.source!r}: a year or an address"
        assert "|" not in row.source and not re.search(r"[\"“”「」]", row.source), row.source


def test_the_article_s_references_are_checked():
    refs = corrections.REFERENCES
    assert len(refs) >= 7
    for ref in refs:
        assert ref.cited and ref.finding and ref.instead, ref
        for text in (ref.cited, ref.finding, ref.instead):
            assert "|" not in text and not re.search(r"[\u4e00-\u9fff\"“”「」]", text), text
        # each row settles its reference: no "look it up yourself" left to the reader
        assert not re.search(r"(?i)look (the identifier|it) up|before citing it|could not be verified", ref.finding)
        if ref.arxiv:  # a new-style identifier YYMM.NNNN(N) whose year is the cited year
            assert re.fullmatch(r"\d{4}\.\d{4,5}", ref.arxiv) and f"arXiv:{ref.arxiv}" in ref.instead, ref
            assert 2000 + int(ref.arxiv[:2]) == ref.year, ref
    text = " ".join(r.instead for r in refs)
    for real in ("tensorflow.org/tutorials/audio/music_generation", "DeepLearning.AI", "Coursera",
                 "arXiv:1709.01620"):
        assert real in text, real
    table = corrections.references_table().splitlines()
    assert len(table) == 2 + len(refs) and all(line.count(" | ") == 3 for line in table[2:])


def test_the_rows_of_notebook_12_are_corrected():
    rows = {c.section: c for c in CORRECTIONS if c.notebook == "12"}
    assert set(rows) == {"§6, §8, §9", "references"}
    assert all(c.status == CORRECTED and c.link.startswith("notebooks/12_applications_and_ethics.ipynb#")
               for c in rows.values())
