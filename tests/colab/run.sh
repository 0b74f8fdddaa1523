#!/usr/bin/env bash
# The course on Google Colab's published versions: `make test-colab` (every notebook) and `make test-colab-ci`
# (the install, notebook 00, the widget, Colab and environment-check unit tests, notebook 06).
#
#   tests/colab/run.sh [all|ci]
#
# 1. a fresh venv on CPython 3.13 (Colab's Python; $PYTHON313, else python3.13 on PATH, else pyenv's newest 3.13);
# 2. Colab's packages at Colab's versions (tests/colab/constraints.txt, pytest 8.4.2 included), plus what only
#    the test needs: nbval 0.11.0 and pytest-timeout 2.4.0;
# 3. the course installed as each notebook's first cell installs it on Colab (pip install --no-deps, here from a
#    copy of this checkout instead of the git URL);
# 4. colab.setup(colab=True) run for real once (pip installs COLAB_EXTRAS, apt installs FluidSynth: needs root and
#    apt-get, as on Colab), then a check that it replaced none of Colab's versions;
# 5. the notebooks under `pytest --nbval-lax` (they run and their asserts hold; the strict comparison of stored
#    outputs stays on the reference stack) in smoke mode, with MGTUTOR_TARGET=colab (the environment check's
#    Colab target) and a new, empty temporary folder as TMPDIR: music21's scratch folder (its parse cache,
#    tempfile.gettempdir()/music21) and the course's corpus cache start cold, as on a new Colab runtime.
# Each step and each notebook prints its time; the venv and the temporary folders are removed at the end
# (KEEP=1 keeps them and prints where they are).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CONSTRAINTS="$ROOT/tests/colab/constraints.txt"
SUBSET=${1:-all}
case "$SUBSET" in all|ci) ;; *) echo "usage: $0 [all|ci]" >&2; exit 2 ;; esac
export PIP_DISABLE_PIP_VERSION_CHECK=1 DEBIAN_FRONTEND=noninteractive

find_python313() {
    local candidates=() root
    [[ -n "${PYTHON313:-}" ]] && candidates+=("$PYTHON313")
    command -v python3.13 >/dev/null && candidates+=("$(command -v python3.13)")
    root=$(pyenv root 2>/dev/null || echo "${PYENV_ROOT:-$HOME/.pyenv}")
    candidates+=($(ls -d "$root"/versions/3.13*/bin/python3.13 2>/dev/null | sort -V -r))
    for py in "${candidates[@]}"; do
        if [[ -x "$py" ]] && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 13))' 2>/dev/null; then
            echo "$py"; return 0
        fi
    done
    return 1
}

PY313=$(find_python313) || {
    echo "make test-colab needs CPython 3.13 (Colab's Python, see $CONSTRAINTS) and found none:" >&2
    echo "  install it (e.g. 'pyenv install 3.13') or set PYTHON313=/path/to/python3.13" >&2
    exit 2
}
if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
    echo "make test-colab runs colab.setup() for real, which apt-installs FluidSynth as Colab does:" >&2
    echo "  run it as root on a Debian/Ubuntu machine (a container will do)" >&2
    exit 2
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mgtutor-colab.XXXXXX")
cleanup() { if [[ -n "${KEEP:-}" ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
VENV="$WORK/venv"
PY="$VENV/bin/python"
now() { date +%s%N; }
since() { local ds=$((($(now) - $1) / 100000000)); echo "$((ds / 10)).$((ds % 10))"; }
step() { echo; echo "== $*"; }

step "venv on $("$PY313" -V) ($PY313), Colab's packages ($(grep -c '==' "$CONSTRAINTS") pins)"
t0=$(now)
"$PY313" -m venv "$VENV"
"$PY" -m pip install -q -r "$CONSTRAINTS"
"$PY" -m pip install -q -c "$CONSTRAINTS" "nbval==0.11.0" "pytest-timeout==2.4.0"  # not on Colab: the test's own
echo "venv and Colab's packages: $(since "$t0") s"

step "the course, as the first cell installs it (pip install --no-deps, from a copy of this checkout)"
t1=$(now)
mkdir "$WORK/src"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' f; do if [[ -e "$f" ]]; then printf '%s\0' "$f"; fi; done | tar --null -T - -cf -) |
    tar -xf - -C "$WORK/src"
(cd "$WORK/src" && "$PY" -m pip install -q --no-deps .)
echo "course: $(since "$t1") s"

step "colab.setup(colab=True), for real"
t2=$(now)
apt-get update -qq
(cd "$WORK" && "$PY" - <<'EOF'
from mgtutor import colab

report = colab.setup(colab=True)
print(report)
assert "FluidSynth: installed" in report, report
EOF
)
echo "colab.setup: $(since "$t2") s"
(cd "$WORK" && "$PY" - "$CONSTRAINTS" <<'EOF'
import sys
from importlib import metadata
from pathlib import Path

import mgtutor

assert "site-packages" in mgtutor.__file__, f"the course was imported from {mgtutor.__file__}, not the install"
changed = []
for line in Path(sys.argv[1]).read_text().splitlines():
    line = line.split("#", 1)[0].strip()
    if line:
        name, version = line.split("==")
        if metadata.version(name) != version:
            changed.append(f"{name} {version} -> {metadata.version(name)}")
assert not changed, f"colab.setup() replaced Colab's versions: {changed}"
print("Colab's versions unchanged after colab.setup()")
EOF
)
echo "install total: $(since "$t0") s"

SCRATCH="$WORK/tmp"
mkdir "$SCRATCH"
export TMPDIR="$SCRATCH" MGTUTOR_CACHE="$SCRATCH/mgtutor-cache" MGTUTOR_MODE=smoke MGTUTOR_TARGET=colab
export TQDM_DISABLE=1 TF_CPP_MIN_LOG_LEVEL=2 TF_ENABLE_ONEDNN_OPTS=0
scratch=$(cd "$WORK" && "$PY" -c 'from music21 import environment; print(environment.Environment().getRootTempDir())')
[[ "$scratch" == "$SCRATCH"/* ]] || { echo "music21's scratch folder is $scratch, not under $SCRATCH" >&2; exit 1; }
echo "music21 scratch folder: $scratch (new, empty)"

failed=()
timings=()
run_pytest() {  # label, pytest arguments...
    local label=$1 t rc=0
    shift
    t=$(now)
    (cd "$ROOT" && "$PY" -m pytest -q -p no:cacheprovider "$@") || rc=$?
    timings+=("$(printf '%-44s %7s s  %s' "$label" "$(since "$t")" "$([[ $rc == 0 ]] && echo ok || echo FAILED)")")
    [[ $rc == 0 ]] || failed+=("$label")
}
notebook() { run_pytest "$(basename "$1")" --nbval-lax "$1"; }

if [[ "$SUBSET" == all ]]; then
    for nb in "$ROOT"/notebooks/[0-9][0-9]_*.ipynb; do
        step "$(basename "$nb")"
        notebook "$nb"
    done
else
    step "notebook 00"
    notebook "$ROOT/notebooks/00_welcome.ipynb"
    units=(tests/test_widgets.py tests/test_colab.py tests/test_environment.py)
    step "unit tests: ${units[*]}"
    run_pytest "${units[*]}" "${units[@]}"
    step "notebook 06"
    notebook "$ROOT/notebooks/06_melody_generation.ipynb"
fi

step "summary ($SUBSET, $("$PY" -V), total $(since "$t0") s)"
printf '%s\n' "${timings[@]}"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}" >&2
    exit 1
fi
