"""The course's notebook table: one row per notebook, and the plans that place them in weeks.

Part of mgtutor. One data source for the notebook table of README.md, notebook 00's map
(notebooks/00_welcome.ipynb §1) and INSTRUCTORS.md, and for the two course plans there.
``tests/test_course.py`` ties each row to its notebook: the title cell's first line, its prerequisites and
time lines, its optional sections, its exercises, and the minutes, which are *computed* from the notebook
by :func:`estimate` on the stated :data:`BASIS` (a row whose minutes disagree fails the test with the
value to write). A new notebook adds a row here and a place in each plan of :data:`PLANS`.

``python -m mgtutor course`` prints the table and the plans; in a clone,
``python -m mgtutor course --write-docs`` rewrites the rendered blocks of README.md and INSTRUCTORS.md.
"""

from __future__ import annotations

import json
import math
import os
import re
from pathlib import Path
from typing import NamedTuple

from mgtutor.errors import MgtutorError


class CourseError(MgtutorError, ValueError):
    """A plan or a document does not agree with the notebook table."""


class Basis(NamedTuple):
    """How the minutes of a notebook are estimated (:func:`estimate`)."""

    words_per_minute: int
    """Reading speed for the markdown cells: technical prose with formulas, read to be understood."""
    code_lines_per_minute: int
    """Code lines (blank lines and comment-only lines not counted) read, run and their outputs looked at."""
    minutes_per_exercise: int
    """One exercise: read, attempt, run the checker, read a hint, try again."""
    round_to: int
    """Minutes are rounded up to a multiple of this."""


BASIS = Basis(words_per_minute=100, code_lines_per_minute=6, minutes_per_exercise=10, round_to=5)

BASIS_TEXT = (f"words of the markdown cells at {BASIS.words_per_minute} per minute, plus code lines (not blank, not "
              f"only a comment) at {BASIS.code_lines_per_minute} per minute, plus {BASIS.minutes_per_exercise} "
              f"minutes per exercise, rounded up to {BASIS.round_to} minutes (the course's own answers to the "
              "exercises not counted). The core path leaves out the sections marked *(optional)*; the full path "
              "reads them too. Running time in smoke mode (under 90 s a notebook) is included in the code rate; "
              "training in full mode is not (each title cell gives it).")
"""The basis of the minutes, as README.md, notebook 00 and INSTRUCTORS.md state it."""


class Notebook(NamedTuple):
    """One row of the notebook table.

    Attributes:
        number: two digits, ``"06"``.
        file: the file name in ``notebooks/``.
        title: the title, as the notebook's first line gives it after ``# NN · ``.
        builds: what a learner builds and proves equal to a library (notebook 00's map).
        prerequisites: the numbers of the notebooks to have done first.
        optional: the optional sections, each as its ``##`` heading without the ``(optional)`` mark.
        exercises: the checker of each exercise, in order (``mgtutor.checks`` names; ``grade`` reads them).
        core_minutes: estimated minutes of the core path (:data:`BASIS`), from :data:`MINUTES_FILE`.
        full_minutes: estimated minutes with the optional sections, from :data:`MINUTES_FILE`.
    """

    number: str
    file: str
    title: str
    builds: str
    prerequisites: tuple[str, ...]
    optional: tuple[str, ...] = ()
    exercises: tuple[str, ...] = ()
    core_minutes: int = 0
    full_minutes: int = 0


_ROWS: tuple[Notebook, ...] = (
    Notebook("00", "00_welcome.ipynb", "Welcome and set-up",
             "environment check, modes, seeding, 中英 glossary, the corrections index", (),
             exercises=("feature_domain_exercise", "mode_exercise")),
    Notebook("01", "01_audio_signals.ipynb", "Audio signals",
             "sampling, aliasing, quantisation SNR ≈ 6.02·bits dB, pitch ↔ frequency, additive synthesis + ADSR",
             ("00",), ("6. Explore: frequency, sample rate and bits together",),
             ("midi_to_hz_exercise", "aliased_frequency_exercise", "quantization_snr_exercise")),
    Notebook("02", "02_stft.ipynb", "Spectrograms and the STFT",
             "DFT matrix = `np.fft`; STFT = `librosa.stft`; inverse STFT; Griffin-Lim", ("01",),
             ("7. The spectrogram of a chorale",),
             ("dft_matrix_exercise", "hann_window_exercise", "n_frames_exercise", "stft_exercise")),
    Notebook("03", "03_mel_mfcc.ipynb", "Mel filterbanks and MFCC",
             "mel scales and filterbank = librosa; DCT-II = `scipy.fft.dct`; MFCC = `librosa.feature.mfcc`",
             ("02",), exercises=("hz_to_mel_exercise", "mfcc_exercise")),
    Notebook("04", "04_symbolic_music.ipynb", "Symbolic music",
             "MIDI, MusicXML, piano rolls, four encodings with round trips, transposition, scores and audio",
             ("01",), ("Going further",),
             ("melody_grid_exercise", "piano_roll_exercise", "key_shift_exercise")),
    Notebook("05", "05_rnn_lstm_from_scratch.ipynb", "RNN, LSTM and GRU from scratch",
             "NumPy cells = `keras.layers` given the same weights; vanishing gradients measured", ("00",),
             exercises=("numeric_gradient_exercise", "lstm_step_exercise", "gru_step_exercise")),
    Notebook("06", "06_melody_generation.ipynb", "Melody generation with an LSTM",
             "tokenizer, model against n-gram baselines, temperature/top-k/top-p sampling, fast stateful generation",
             ("04", "05"), exercises=("top_k_exercise", "top_p_exercise")),
    Notebook("07", "07_polyphonic_piano_rolls.ipynb",
             "Polyphonic piano rolls: frame NLL, baselines, LSTM and RNN-NADE",
             "frame NLL by hand = `metrics.frame_nll`; Bernoulli/Markov baselines = their counts; LSTM vs RNN-NADE "
             "(Σ p = 1 over all frames); the published benchmark table", ("04", "05", "06"),
             exercises=("frame_nll_exercise", "markov_probs_exercise")),
    Notebook("08", "08_gans_first_principles.ipynb", "GANs from first principles",
             "D* = p/(p+q) vs a fitted discriminator; 2·JSD − log 4 = SciPy's JSD; a Keras GAN with its own "
             "`train_step`; mode collapse fixed by packing; the article's GAN listing repaired bug by bug",
             ("05", "06"),
             exercises=("optimal_discriminator_exercise", "gradient_penalty_exercise", "modes_covered_exercise")),
    Notebook("09", "09_gans_music_audio.ipynb",
             "GANs for music and audio: a bar GAN, a pitch-conditioned spectrogram GAN, and WaveNet's convolutions",
             "bar metrics by hand = `metrics.bar_metrics`; a bar GAN against the chorale bars; a spectrogram GAN, "
             "pitch accuracy by `librosa.pyin`; Fréchet distance = SciPy's `sqrtm` form; WaveNet's receptive field",
             ("02", "04", "07", "08"), ("6. Walking the latent space", "7. Training curves"),
             ("used_pitch_classes_exercise", "receptive_field_exercise", "frechet_diagonal_exercise")),
    Notebook("10", "10_full_training.ipynb", "Full training: a run you can scale, interrupt and resume",
             "`tf.data` vs a Python generator, measured; callbacks; checksummed checkpoints and resume after "
             "SIGKILL; learning curves; mixed precision and XLA; several devices and machines", ("06", "07"),
             ("6. On a GPU: mixed precision and XLA",),
             ("scaling_exercise", "best_epoch_exercise")),
    Notebook("11", "11_evaluating_generated_music.ipynb",
             "Evaluating generated music: metrics, likelihood, copying and listening tests",
             "music metrics checked by hand; KDE overlap = SciPy's; held-out NLL and the gap; MSE prefers a blur; "
             "a copying check calibrated on held-out tunes; listening tests and exact binomial tests",
             ("04", "06", "07"),
             exercises=("pitch_class_transitions_exercise", "abx_p_value_exercise")),
    Notebook("12", "12_applications_and_ethics.ipynb", "Applications and ethics",
             "licence conditions read from the registry; a disclosure in the MIDI file, read from its bytes; the "
             "copying check = a brute-force search; time and energy of the shipped runs; the article audited",
             ("04", "06", "11"),
             exercises=("run_energy_exercise", "copying_verdict_exercise", "credit_line_exercise")),
)
"""The notebooks in order, without their minutes."""

MINUTES_FILE = Path(__file__).with_name("course_minutes.json")
"""``{"06": [core, full], …}``: :func:`estimate` of each notebook, written by ``python -m mgtutor course --write-docs``
in a clone (:func:`sync`) and shipped with the package, so the table renders where the notebooks are not."""


def _with_minutes(minutes: dict) -> tuple[Notebook, ...]:
    return tuple(row._replace(core_minutes=int(minutes[row.number][0]), full_minutes=int(minutes[row.number][1]))
                 for row in _ROWS)


NOTEBOOKS: tuple[Notebook, ...] = _with_minutes(json.loads(MINUTES_FILE.read_text(encoding="utf-8")))
"""The notebook table: :data:`_ROWS` with the minutes of :data:`MINUTES_FILE`."""

BY_NUMBER = {nb.number: nb for nb in NOTEBOOKS}


def notebook(number: str | int) -> Notebook:
    """The row of notebook ``number`` (``6``, ``"06"``).

    Raises:
        CourseError: no such notebook.
    """
    key = f"{int(number):02d}" if str(number).isdigit() else str(number)
    try:
        return BY_NUMBER[key]
    except KeyError:
        raise CourseError(f"no notebook {number!r} in the course; the notebooks are "
                          f"{', '.join(BY_NUMBER)}") from None


def optional_key(number: str, heading: str) -> str:
    """The plan item of an optional section: ``"10 §6"`` for a numbered heading, ``"04 §Going further"`` else."""
    match = re.match(r"(\d+)\.", heading)
    return f"{number} §{match.group(1) if match else heading}"


def items() -> list[str]:
    """Every item a plan must place once: each notebook (its core path) and each optional section."""
    out = []
    for nb in NOTEBOOKS:
        out.append(nb.number)
        out.extend(optional_key(nb.number, heading) for heading in nb.optional)
    return out


def item_minutes(item: str) -> int:
    """Minutes of a plan item: a notebook's core path, or an optional section's share of its full path."""
    number, _, section = item.partition(" §")
    nb = notebook(number)
    if not section:
        return nb.core_minutes
    return math.ceil((nb.full_minutes - nb.core_minutes) / len(nb.optional))


# --------------------------------------------------------------------------- estimating the minutes
OPTIONAL_MARK = re.compile(r"\(optional\b", re.IGNORECASE)


def _source(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def _is_solution(cell) -> bool:
    return "solution" in (cell.get("metadata", {}).get("tags") or [])


def optional_headings(nb) -> list[str]:
    """The ``##`` headings of notebook ``nb`` (an nbformat node or a dict) marked optional, without the mark."""
    found = []
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in _source(cell).splitlines():
                if line.startswith("## ") and OPTIONAL_MARK.search(line):
                    found.append(OPTIONAL_MARK.split(line[3:])[0].strip())
    return found


def estimate(nb, basis: Basis = BASIS) -> tuple[int, int]:
    """``(core, full)`` minutes of notebook ``nb`` (an nbformat node or its JSON as a dict) on ``basis``.

    Every cell belongs to the ``##`` section it follows; a section whose heading is marked ``(optional …)`` counts
    for the full path only. Markdown counts its words (runs of non-space characters), code its lines that are
    neither blank nor only a comment; each code cell tagged ``solution`` counts as one exercise instead.
    """
    core = full = 0.0
    optional = False
    for cell in nb["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "markdown":
            heading = next((line for line in text.splitlines() if line.startswith("## ")), None)
            if heading is not None:
                optional = bool(OPTIONAL_MARK.search(heading))
            minutes = len(text.split()) / basis.words_per_minute
        elif cell["cell_type"] != "code":
            continue
        elif _is_solution(cell):
            minutes = basis.minutes_per_exercise
        else:
            lines = [line.strip() for line in text.splitlines()]
            minutes = sum(1 for line in lines if line and not line.startswith("#")) / basis.code_lines_per_minute
        full += minutes
        if not optional:
            core += minutes
    step = basis.round_to
    return step * math.ceil(core / step), step * math.ceil(full / step)


# --------------------------------------------------------------------------- plans
PLANS: dict[int, tuple[tuple[str, ...], ...]] = {
    6: (
        ("00", "01", "01 §6", "02"),
        ("02 §7", "03", "04", "04 §Going further"),
        ("05", "06"),
        ("07", "08"),
        ("09", "09 §6", "09 §7", "10"),
        ("10 §6", "11", "12"),
    ),
    12: (
        ("00", "01"),
        ("01 §6", "02"),
        ("02 §7", "03"),
        ("04",),
        ("04 §Going further", "05"),
        ("06",),
        ("07",),
        ("08",),
        ("09", "09 §6", "09 §7"),
        ("10", "10 §6"),
        ("11",),
        ("12",),
    ),
}
"""Course plans by length in weeks: each week lists the notebooks (core path) and optional sections it covers.
Every item of :func:`items` appears exactly once, after the notebooks it needs (:func:`check_plan`)."""


def check_plan(weeks) -> None:
    """Check that a plan places every notebook and optional section exactly once, each after its prerequisites
    (in an earlier week or earlier in the same week) and each optional section after its notebook.

    Raises:
        CourseError: naming the first problem found.
    """
    placed = [item for week in weeks for item in week]
    wanted = items()
    unknown = sorted(set(placed) - set(wanted))
    if unknown:
        raise CourseError(f"the plan names items that are not in the table: {unknown}")
    twice = sorted({item for item in placed if placed.count(item) > 1})
    if twice:
        raise CourseError(f"the plan places these more than once: {twice}")
    missing = [item for item in wanted if item not in placed]
    if missing:
        raise CourseError(f"the plan leaves out: {missing}")
    done: set[str] = set()
    for item in placed:
        number, _, section = item.partition(" §")
        needs = (number,) if section else notebook(number).prerequisites
        late = [need for need in needs if need not in done]
        if late:
            raise CourseError(f"the plan places {item} before {', '.join(late)}, which it needs")
        done.add(item)


# --------------------------------------------------------------------------- rendering
def _hours(minutes: int) -> str:
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h" + (f" {minutes % 60:02d} min" if minutes % 60 else "")


def _link(nb: Notebook, base: str, *, number: bool = True) -> str:
    return f"[{nb.number + ' · ' if number else ''}{nb.title}]({base}{nb.file})"


def _section(heading: str) -> str:
    """``"§6 Explore: …"`` for the heading ``"6. Explore: …"``; an unnumbered heading as it is."""
    match = re.match(r"(\d+)\.\s*(.*)", heading)
    return f"§{match[1]} {match[2]}" if match else heading


def _optional_text(nb: Notebook) -> str:
    return "; ".join(map(_section, nb.optional)) or "—"


def table_markdown(base: str = "notebooks/", *, builds: bool = False) -> str:
    """The notebook table as markdown; links are ``base + file`` (``""`` from inside ``notebooks/``).

    With ``builds`` it has notebook 00's column "what you build, then prove equal to a library".
    """
    head = "| nb | title | prerequisites | core path | full path | optional sections |"
    rule = "|---|---|---|---|---|---|"
    if builds:
        head = head.replace("| title |", "| title | what you build, then prove equal to a library |")
        rule += "---|"
    rows = [head, rule]
    for nb in NOTEBOOKS:
        cells = [nb.number, _link(nb, base, number=False)]
        if builds:
            cells.append(nb.builds)
        cells += [", ".join(nb.prerequisites) or "—", _hours(nb.core_minutes), _hours(nb.full_minutes),
                  _optional_text(nb)]
        rows.append("| " + " | ".join(cells) + " |")
    core = sum(nb.core_minutes for nb in NOTEBOOKS)
    full = sum(nb.full_minutes for nb in NOTEBOOKS)
    rows.append(f"\nIn all: {_hours(core)} for the core path, {_hours(full)} with the optional sections. "
                f"How the minutes are estimated: {BASIS_TEXT}")
    return "\n".join(rows)


def _item_text(item: str, base: str) -> str:
    number, _, section = item.partition(" §")
    nb = notebook(number)
    if not section:
        return _link(nb, base)
    heading = next(h for h in nb.optional if optional_key(number, h) == item)
    return f"{number} {_section(heading)} *(optional)*"


def plan_markdown(length: int, base: str = "notebooks/") -> str:
    """The plan of :data:`PLANS` for ``length`` weeks as a markdown table with the estimated load of each week.

    Raises:
        CourseError: no such plan, or the plan fails :func:`check_plan`.
    """
    if length not in PLANS:
        raise CourseError(f"no {length}-week plan; the plans are {', '.join(map(str, PLANS))} weeks")
    weeks = PLANS[length]
    check_plan(weeks)
    rows = ["| week | notebooks and sections | estimated time |", "|---|---|---|"]
    for index, week in enumerate(weeks, 1):
        minutes = sum(item_minutes(item) for item in week)
        rows.append(f"| {index} | {'; '.join(_item_text(item, base) for item in week)} | {_hours(minutes)} |")
    return "\n".join(rows)


def time_line(nb: Notebook) -> str:
    """The time line every title cell starts its time paragraph with."""
    text = f"**Time:** about {_hours(nb.core_minutes)} for the core path"
    if nb.optional:
        text += f", {_hours(nb.full_minutes)} with the optional sections"
    return text + "."


# --------------------------------------------------------------------------- the rendered blocks of the documents
BLOCK = re.compile(r"(<!-- course:(?P<name>[a-z0-9-]+) -->\n)(?P<body>(?:.*?\n)?)(<!-- /course:(?P=name) -->)",
                   re.DOTALL)


def render_block(name: str) -> str:
    """The text of the document block ``<!-- course:NAME -->``: ``table``, ``plan-6`` or ``plan-12``.

    Raises:
        CourseError: no such block.
    """
    if name == "table":
        return table_markdown()
    if name.startswith("plan-") and name[5:].isdigit():
        return plan_markdown(int(name[5:]))
    raise CourseError(f"unknown block <!-- course:{name} -->; the blocks are table, "
                      + ", ".join(f"plan-{n}" for n in PLANS))


def sync_document(path: str | os.PathLike, *, write: bool = False) -> list[str]:
    """The names of the blocks of the document at ``path`` that differ from :func:`render_block`; with
    ``write``, rewrite them in place (atomically).

    Raises:
        FileNotFoundError: no such document.
        CourseError: a block has an unknown name.
    """
    from mgtutor.files import atomic_path

    path = Path(path)
    text = path.read_text(encoding="utf-8")
    stale = []

    def replace(match: re.Match) -> str:
        body = render_block(match["name"]) + "\n"
        if body != match["body"]:
            stale.append(match["name"])
        return match.group(1) + body + match.group(4)

    new = BLOCK.sub(replace, text)
    if write and new != text:
        with atomic_path(path) as tmp:
            Path(tmp).write_text(new, encoding="utf-8")
    return stale


DOCUMENTS = ("README.md", "INSTRUCTORS.md")
"""The documents of a clone holding rendered blocks."""

TIME_LINE = re.compile(r"\*\*Time:\*\* about [^*\n]*? for the core path(?:, [^*\n]*? with the optional sections)?\.")


def title_time_line(nb) -> str | None:
    """The time line of notebook ``nb``'s title cell (the first cell), or ``None`` when it has none."""
    match = TIME_LINE.search(_source(nb["cells"][0]))
    return match.group(0) if match else None


def sync(root: str | os.PathLike, *, write: bool = False) -> list[str]:
    """What of a clone at ``root`` disagrees with the notebooks, one line each: the minutes of :data:`MINUTES_FILE`
    against :func:`estimate`, the rendered blocks of :data:`DOCUMENTS` and the time line of each notebook's title
    cell. With ``write``, rewrite them (atomically; nothing else in a file changes), minutes first, so the documents
    render the new table; a new time line can change a notebook's words and so its minutes, hence a second round.

    Raises:
        FileNotFoundError: a document or notebook of the table is missing.
        CourseError: a title cell has no time line, or a block has an unknown name.
    """
    from mgtutor.files import atomic_path
    from mgtutor.notebooks import read_notebook

    global NOTEBOOKS, BY_NUMBER
    root = Path(root)
    stale: list[str] = []
    for _ in range(3):
        minutes = {row.number: list(estimate(read_notebook(root / "notebooks" / row.file))) for row in NOTEBOOKS}
        changed = [n for n in minutes if minutes[n] != [BY_NUMBER[n].core_minutes, BY_NUMBER[n].full_minutes]]
        lines = [f"{MINUTES_FILE.name}: notebook {n}" for n in changed]
        if changed and write:
            with atomic_path(MINUTES_FILE) as tmp:
                Path(tmp).write_text(json.dumps(minutes, indent=1) + "\n", encoding="utf-8")
            NOTEBOOKS = _with_minutes(minutes)
            BY_NUMBER = {nb.number: nb for nb in NOTEBOOKS}
        lines += _sync_rendered(root, write)
        stale += [line for line in lines if line not in stale]
        if not (changed and write):
            break
    return stale


def _sync_rendered(root: Path, write: bool) -> list[str]:
    """The documents' blocks and the title cells' time lines that disagree with the current table (see
    :func:`sync`); with ``write``, rewritten."""
    import nbformat

    from mgtutor.files import atomic_path
    from mgtutor.notebooks import read_notebook

    stale = [f"{name}: block {block}" for name in DOCUMENTS for block in sync_document(root / name, write=write)]
    for row in NOTEBOOKS:
        path = root / "notebooks" / row.file
        nb = read_notebook(path)
        old = title_time_line(nb)
        if old is None:
            raise CourseError(f"{path}: the title cell has no line '{time_line(row)}'")
        if old != time_line(row):
            stale.append(f"{row.file}: title cell's time line")
            if write:
                nb.cells[0].source = nb.cells[0].source.replace(old, time_line(row))
                with atomic_path(path) as tmp:
                    nbformat.write(nb, tmp)
    return stale
