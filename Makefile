# Two commands for a fresh machine (see README.md):
#   make course   install everything into .venv and open JupyterLab on notebook 00
#   make test     install the same and run every test (lint, unit tests, browser test, nbval)
# Re-running is fast: .venv is rebuilt only when pyproject.toml changes.

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: course demo test test-fast test-colab test-colab-ci notebooks mutation clean
.PHONY: bench bench-suite bench-poly bench-gan-toy bench-gan-music

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test,jax]"
	@touch $(STAMP)

# JupyterLab settings overrides in .venv (a file of its own in overrides.d, beside any of yours): no "Would you like
# to receive official Jupyter news?" prompt and no update check, so a learner's first screen is notebook 00
# (tests/test_packaging.py reads them as JupyterLab does).
LAB_OVERRIDES := $(VENV)/share/jupyter/lab/settings/overrides.d/mgtutor.json
LAB_SETTINGS_JSON := {"@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": false}}

$(LAB_OVERRIDES): $(STAMP) Makefile
	@mkdir -p $(dir $@)
	@printf '%s\n' '$(LAB_SETTINGS_JSON)' > $@

course: $(STAMP) $(LAB_OVERRIDES)
	$(VENV)/bin/jupyter lab $(ROOT_FLAG) notebooks/00_welcome.ipynb

demo: $(STAMP)
	$(PY) -m mgtutor demo --out demo_out

# The notebooks run on two workers, a whole notebook each at a time, with one TensorFlow and BLAS thread per kernel:
# 1.8x faster on two cores than one kernel using both (94 s against 166 s for the 13 notebooks).
NOTEBOOK_THREADS := OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TF_NUM_INTRAOP_THREADS=1 \
	TF_NUM_INTEROP_THREADS=1

test: $(STAMP)
	$(VENV)/bin/ruff check mgtutor tests benchmarks data_fetch.py notebooks conftest.py
	$(VENV)/bin/pytest -q tests -p no:cacheprovider
	$(NOTEBOOK_THREADS) $(VENV)/bin/pytest -q notebooks --nbval -n 2 --dist loadfile -p no:cacheprovider

# The quick loop while editing: lint and the unit tests, without the tests marked slow (training in subprocesses:
# SIGKILL and resume, the JAX backend, several processes) and without the notebooks. make test runs everything.
test-fast: $(STAMP)
	$(VENV)/bin/ruff check mgtutor tests benchmarks data_fetch.py notebooks conftest.py
	$(VENV)/bin/pytest -q tests -m "not slow" -p no:cacheprovider

# Mutation testing (not in CI, about 25 min on 2 cores): the score per module of the metrics, the encodings, the
# copy check and the run-directory rules, against their fast unit tests (tests/mutation.py).
mutation: $(STAMP)
	$(PY) tests/mutation.py

# The course on Google Colab's published versions (tests/colab/constraints.txt) in a fresh CPython 3.13 venv:
# installed as on Colab, colab.setup() for real (run as root: it apt-installs FluidSynth), every notebook under
# nbval-lax with a cold music21 scratch folder. test-colab-ci: the install, notebooks 00 and 06 and the Colab
# unit tests only (a few minutes). Neither needs .venv.
test-colab:
	tests/colab/run.sh all

test-colab-ci:
	tests/colab/run.sh ci

# Re-execute every notebook in place, cleanly (smoke mode, reference numerics).
notebooks: $(STAMP)
	$(PY) -m mgtutor execute notebooks/[0-9][0-9]_*.ipynb

# The benchmarks that have no target of their own below (those take minutes to an hour).
BENCH_LONG := benchmarks/bench_suite.py benchmarks/bench_poly.py benchmarks/bench_gan_toy.py \
	benchmarks/bench_gan_music.py

bench: $(STAMP)
	for b in $(filter-out $(BENCH_LONG),$(wildcard benchmarks/bench_*.py)); do \
		echo "== $$b"; $(PY) $$b || exit 1; done

# Wall time and peak memory of the whole nbval run (every notebook in smoke mode, one kernel at a time).
bench-suite: $(STAMP)
	$(PY) benchmarks/bench_suite.py

# The polyphonic benchmark trains for about an hour in full mode (fetch the data first: python -m mgtutor data get
# boulanger_tcn_mat).
bench-poly: $(STAMP)
	MGTUTOR_MODE=full $(PY) benchmarks/bench_poly.py --data boulanger_tcn_mat:JSB_Chorales --out runs/bench-poly-jsb

# The 2-D mode-collapse benchmark trains 12 toy GANs, one at a time (about a minute each on two cores).
bench-gan-toy: $(STAMP)
	MGTUTOR_MODE=full $(PY) benchmarks/bench_gan_toy.py --out runs/bench-gan-toy

# The music and audio GANs of notebook 09 train for about 15 CPU-minutes each, one after the other.
bench-gan-music: $(STAMP)
	MGTUTOR_MODE=full $(PY) benchmarks/bench_gan_music.py --out runs/bench-gan-music

clean:
	rm -rf $(VENV) demo_out .pytest_cache .ruff_cache .hypothesis .import_linter_cache
