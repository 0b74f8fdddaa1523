"""Re-execute course notebooks in place, cleanly, the way their stored outputs are made.

Part of mgtutor (maintainers' tool). ``python -m mgtutor execute notebooks/03_mel_mfcc.ipynb``
(or ``make notebooks`` for all of them) runs each notebook top to bottom in a fresh kernel,
in smoke mode and with *reference numerics* (one thread for TensorFlow, BLAS and OpenMP),
then stores the outputs. The test command runs nbval with the machine's default thread
counts instead, so a cell that prints a machine-dependent number fails in CI rather than on
an instructor's laptop. See CONTRIBUTING.md.

For teachers: :func:`student_copy` (``python -m mgtutor student-copy``) writes the notebooks without their
solution cells, and :mod:`mgtutor.grading` (``python -m mgtutor grade``) grades the copies students hand back.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mgtutor.config import DROPPED_ENV, ENV
from mgtutor.errors import MgtutorError

REFERENCE_ENV = {
    **ENV,
    "MGTUTOR_MODE": "smoke",
    "TQDM_DISABLE": "1",
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}
"""The environment notebooks are re-executed in: :data:`mgtutor.config.ENV` (forced, not defaulted), smoke mode,
no progress bars and one thread for TensorFlow, BLAS and OpenMP."""

KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}


class NotebookExecutionError(MgtutorError, RuntimeError):
    """A notebook raised an error or wrote to stderr while being re-executed."""


class NotebookFileError(MgtutorError, ValueError):
    """A file given as a notebook is not one, or copies cannot be written where asked."""


def read_notebook(path: str | os.PathLike):
    """Read the notebook at ``path`` (as nbformat version 4).

    Raises:
        FileNotFoundError: no such file.
        NotebookFileError: the file is not a readable Jupyter notebook (not JSON, not a notebook's structure).
    """
    import nbformat

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such notebook")
    try:
        return nbformat.read(path, as_version=4)
    except (OSError, ValueError, TypeError, AttributeError, KeyError, nbformat.ValidationError) as exc:
        why = (str(exc).splitlines() or [""])[0][:200]
        raise NotebookFileError(f"{path}: not a Jupyter notebook ({type(exc).__name__}: {why}); "
                                "give the path of an .ipynb file") from exc


def problems(nb) -> list[str]:
    """Return a line per stored error or stderr output in an executed notebook ``nb``."""
    found = []
    for index, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                found.append(f"cell {index}: {out.get('ename')}: {out.get('evalue')}")
            elif out.get("name") == "stderr":
                found.append(f"cell {index}: stderr: {''.join(out.get('text', ''))[:300]!r}")
    return found


def clean(nb) -> None:
    """Drop volatile metadata (timestamps, widget state) and set the standard kernelspec."""
    nb.metadata.pop("widgets", None)
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":
            for out in cell.get("outputs", []):
                out.get("metadata", {}).pop("execution", None)


def execute_notebook(path: str | os.PathLike, timeout: int = 900) -> float:
    """Execute the notebook at ``path`` in place and return the seconds it took.

    Raises:
        FileNotFoundError: no such notebook.
        NotebookFileError: the file is not a notebook.
        NotebookExecutionError: a cell raised, or something reached stderr; nothing is saved.
    """
    import time

    import nbformat
    from nbclient import NotebookClient

    path = Path(path)
    nb = read_notebook(path)
    saved = {k: os.environ.get(k) for k in (*REFERENCE_ENV, *DROPPED_ENV)}
    os.environ.update(REFERENCE_ENV)
    for name in DROPPED_ENV:
        os.environ.pop(name, None)
    start = time.perf_counter()
    try:
        client = NotebookClient(
            nb, timeout=timeout, kernel_name="python3", allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        )
        client.execute()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    seconds = time.perf_counter() - start
    found = problems(nb)
    if found:
        raise NotebookExecutionError(f"{path}: not saved, because:\n  " + "\n  ".join(found))
    clean(nb)
    nbformat.write(nb, path)
    return seconds


def is_solution(cell) -> bool:
    """Whether ``cell`` (code or markdown) is tagged ``solution``: a worked answer, or prose about the answers."""
    return "solution" in (cell.get("metadata", {}).get("tags") or [])


CHECKER_CALL = re.compile(r"\bchecks\.(\w+)\(")


def checker_calls(source: str) -> list[str]:
    """The exercise checkers a cell's ``source`` calls (``checks.<name>(`` where ``<name>`` is an exercise)."""
    from mgtutor import checks

    return [name for name in CHECKER_CALL.findall(source)
            if getattr(getattr(checks, name, None), "is_exercise", False)]


def without_solutions(nb) -> None:
    """Make ``nb`` a student's notebook, in place: drop its ``solution`` cells (code and markdown) and clear the
    outputs and execution count of each stub cell (a code cell calling an exercise checker), so no "not attempted"
    line, ✔ or ✘ of the notebook's own run is left."""
    nb.cells = [cell for cell in nb.cells if not is_solution(cell)]
    for cell in nb.cells:
        if cell.cell_type == "code" and checker_calls(cell.source):
            cell.outputs = []
            cell.execution_count = None


def _check_folder(out_dir: Path) -> None:
    """Refuse an ``out_dir`` that is, or lies under, a file (one line, before anything is written)."""
    for folder in (out_dir, *out_dir.parents):
        if os.path.lexists(folder) and not folder.is_dir():
            where = "is a file" if folder == out_dir else f"lies under {folder}, which is a file"
            raise NotebookFileError(f"{out_dir}: {where}, not a folder; choose a folder for the copies")


def student_copy(notebooks, out_dir: str | os.PathLike, *, force: bool = False) -> list[Path]:
    """Write copies of ``notebooks`` into ``out_dir`` without their ``solution`` cells (for a class).

    Every exercise keeps its stub and its checker call; the collapsed solution cells and the markdown cells tagged
    ``solution`` (the note that worked solutions follow) are dropped, and the stub cells' stored outputs are cleared
    (:func:`without_solutions`). Rules: every notebook is read and every target checked before anything is written,
    so a refusal writes nothing. A copy never replaces a file already in ``out_dir`` (a student's edited notebook,
    say) unless ``force``; each copy is written atomically (a temporary file renamed into place), so a failure
    leaves the file there as it was.

    Returns:
        The paths written.
    Raises:
        FileNotFoundError: a notebook does not exist.
        NotebookFileError: a file is not a notebook; ``out_dir`` is the notebooks' own folder (the originals
            would be overwritten), or it or a folder above it is a file; a copy's name is taken in ``out_dir`` and
            ``force`` is false.
    """
    import nbformat

    from mgtutor.files import atomic_path

    out_dir = Path(out_dir)
    _check_folder(out_dir)
    copies = {}
    for path in map(Path, notebooks):
        nb = read_notebook(path)
        if out_dir.resolve() == path.parent.resolve():
            raise NotebookFileError(f"{out_dir}: holds the original notebooks; choose another folder")
        without_solutions(nb)
        copies[out_dir / path.name] = nb
    taken = [target.name for target in copies if os.path.lexists(target)]
    if taken and not force:
        shown = ", ".join(taken[:5]) + (f" and {len(taken) - 5} more" if len(taken) > 5 else "")
        raise NotebookFileError(f"{out_dir}: already holds {shown}; nothing was copied. Choose another folder, "
                                "or use --force to replace them (edits made there are lost)")
    for target, nb in copies.items():
        with atomic_path(target) as tmp:
            nbformat.write(nb, tmp)
    return list(copies)


def course_notebooks() -> list[Path]:
    """The course's notebooks in a clone of the repository: ``notebooks/NN_*.ipynb`` beside the package.

    Raises:
        NotebookFileError: there is no such folder (the package was installed from a wheel or a git URL, which
            carry no notebooks) or it holds no notebook.
    """
    from mgtutor.config import ROOT

    folder = ROOT / "notebooks"
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb")) if folder.is_dir() else []
    if not paths:
        raise NotebookFileError(f"{folder}: no course notebooks there (the package was installed without them, from "
                                "a wheel or a git URL); give the notebooks' paths, e.g. downloaded .ipynb files, or "
                                "run this in a clone of the repository")
    return paths


# --------------------------------------------------------------------------- the repository address in the notebooks
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/[^/\s()\"']+/[^/\s()\"']+/blob/main/notebooks/"
                        r"(?P<file>[^\s()\"'\]]+)")
INSTALL_LINE = re.compile(r'(%pip install -q --no-deps "mgtutor @ git\+)([^"\s]+)(")')
GITHUB_URL = re.compile(r"https://github\.com/(?P<owner>[A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/"
                        r"(?P<repo>[A-Za-z0-9._-]+?)(?:\.git)?/?")


def github_slug(url: str) -> str:
    """``owner/repo`` of a GitHub repository address such as ``https://github.com/mgtutor/mgtutor``.

    Raises:
        NotebookFileError: the address is not ``https://github.com/<owner>/<repo>`` (Colab opens notebooks from
            GitHub only).
    """
    match = GITHUB_URL.fullmatch(url.strip())
    if not match:
        raise NotebookFileError(f"{url!r} is not a GitHub repository address; give https://github.com/OWNER/REPO "
                                "(Colab's badges open notebooks from GitHub)")
    return f"{match['owner']}/{match['repo']}"


def colab_link(url: str, name: str) -> str:
    """The *Open in Colab* address of notebook ``name`` in the repository at ``url`` (its ``main`` branch)."""
    return f"https://colab.research.google.com/github/{github_slug(url)}/blob/main/notebooks/{name}"


def point_at_repository(nb, name: str, url: str) -> list[str]:
    """Point notebook ``nb`` (file name ``name``) at the repository ``url``, in place; one line per change.

    Changes only the Colab links of markdown cells (``…/github/<owner>/<repo>/blob/main/notebooks/<file>``: the
    owner and repository, not the file) and the install line of code cells (``%pip install -q --no-deps "mgtutor @
    git+<url>"``); every other character of the notebook stays as it was.

    Raises:
        NotebookFileError: ``url`` is not a GitHub repository address.
    """
    url = url.strip().rstrip("/").removesuffix(".git")
    github_slug(url)
    changes = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown":
            new = COLAB_LINK.sub(lambda m: colab_link(url, m["file"]), cell.source)
            what = f"Colab badge of {name} → {colab_link(url, name)}"
        elif cell.cell_type == "code":
            new = INSTALL_LINE.sub(lambda m: m[1] + url + m[3], cell.source)
            what = f"install cell → {url}"
        else:
            continue
        if new != cell.source:
            cell.source = new
            changes.append(f"cell {index}: {what}")
    return changes


def set_repository(notebooks, url: str, *, check: bool = False) -> dict[Path, list[str]]:
    """Point every notebook's Colab badge and install cell at the repository ``url``.

    Every notebook is read before anything is written, and each one that changes is written atomically
    (:func:`mgtutor.files.atomic_path`); with ``check`` nothing is written.

    Returns:
        For each notebook that disagreed with ``url``, its changes (one line each); empty when all agree.
    Raises:
        FileNotFoundError: a notebook does not exist.
        NotebookFileError: a file is not a notebook, or ``url`` is not a GitHub repository address.
    See: CONTRIBUTING.md (a fork's repository address).
    """
    import nbformat

    from mgtutor.files import atomic_path

    github_slug(url)
    changed = {}
    for path in map(Path, notebooks):
        nb = read_notebook(path)
        changes = point_at_repository(nb, path.name, url)
        if changes:
            changed[path] = (nb, changes)
    if not check:
        for path, (nb, _) in changed.items():
            with atomic_path(path) as tmp:
                nbformat.write(nb, tmp)
    return {path: changes for path, (_, changes) in changed.items()}
