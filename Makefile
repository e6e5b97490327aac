# u22a8: `make run` sets everything up and starts the platform with a demo; `make test` runs every test.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test install services browser bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[embed,scale,dev]'
	$(BIN)/u22a8 prepare
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/u22a8 quickstart --host 127.0.0.1 --port $${PORT:-8000}

services:
	bash scripts/ensure-services.sh

browser:
	bash scripts/ensure-browser.sh

test: $(STAMP) services browser
	PY=$(BIN)/python bash scripts/run-tests.sh $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/predict_latency.py
	$(BIN)/python bench/train_time.py

clean:
	rm -rf $(VENV) .u22a8 .pytest_cache
