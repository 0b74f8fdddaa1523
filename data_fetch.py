#!/usr/bin/env python3
"""Fetch the course's real datasets: ``python data_fetch.py list | info | get | verify | import | path | remove``.

Part of mgtutor: the ``data`` command of :mod:`mgtutor.cli` under its own name, over
:mod:`mgtutor.fetch` (registry, verified resumable downloads, safe extraction). The same commands
run as ``python -m mgtutor data …`` wherever the package is installed (Colab included). The course
runs offline on its bundled corpus; this fetches the real datasets when you want them. See
notebooks/10_full_training.ipynb §1.

    python data_fetch.py list                     # every dataset, size, licence, fetched or not
    python data_fetch.py info jsb_chorales        # URLs, checksum and its source, citation, how to load
    python data_fetch.py get jsb_chorales maestro_v3_midi
    python data_fetch.py verify                   # re-hash everything fetched
    python data_fetch.py import nsynth_test ~/Downloads/nsynth-test.jsonwav.tar.gz
    python data_fetch.py path jsb_chorales        # print the folder (for scripts)
    python data_fetch.py remove lakh_full

Options (before or after the command): ``--dest DIR`` (default ``$MGTUTOR_DATA`` or
``~/.cache/mgtutor``), ``--force`` (download/extract/import again), ``--quiet`` (no progress bar,
no per-file lines), ``--wait SECONDS`` (how long to wait for another process fetching the same
file; default 3600).

Exit codes (:data:`mgtutor.cli.DATA_EXIT_CODES`)
    0  success
    1  ``verify``: a file is missing or does not match; ``path``: the dataset is not fetched
    2  usage error or unknown dataset name
    3  download failed (HTTP error, retries exhausted; a partial file may be kept for resuming)
    4  offline: no mirror could be reached (the course still runs on its bundled corpus)
    5  checksum or size mismatch (the bad file was deleted)
    6  unsafe archive, or one over the size / file-count / compression-ratio caps
    7  another process is fetching the same file (lock timeout)
    130 interrupted (Ctrl-C); a partial download is kept and resumed next time

Errors are one line on stderr: ``data_fetch: error: …``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from mgtutor.cli import data_main


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (see the module docstring)."""
    return data_main(argv, prog="data_fetch", invocation="python data_fetch.py")


if __name__ == "__main__":
    sys.exit(main())
