# Quick start: `make demo` (no AWS account needed) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: setup corpus demo test generate validate contract-test package lambda-package bench clean fuzz

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Public template corpora the tests read (cfn-lint's fixtures), fetched from PyPI, never committed.
corpus: $(VENV)/.installed
	$(BIN)/python tools/fetch_corpus.py

demo: setup
	$(BIN)/hook-handler demo

# Lint and types first (seconds; configured in pyproject.toml, see CONTRIBUTING.md), then the suite.
test: setup corpus
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

validate: setup
	$(BIN)/cfn validate

# The stock `cfn test` hook contract suite, offline (no Docker, no AWS): see tools/offline_cfn_test.py.
contract-test: setup
	$(BIN)/python tools/offline_cfn_test.py

# Regenerate models.py, target_models/, hook-role.yaml and docs/README.md offline from
# target-schemas/. Never run `cfn generate` in the tree itself: it deletes docs/ first.
generate: setup
	$(BIN)/python tools/sync_target_schemas.py
	$(BIN)/python tools/generate.py

# The schema handler package (cfn submit --dry-run), reproducible, in dist/: prints its path and size.
package: setup
	$(BIN)/python tools/package.py

# The Lambda hook's deployment package (deploy/lambda-hook.yaml), reproducible, in dist/: prints its path and size.
LAMBDA_ARCHITECTURE ?= x86_64
lambda-package: setup
	$(BIN)/python tools/lambda_package.py --architecture $(LAMBDA_ARCHITECTURE)

# Benchmarks against the peers (bench/: its own environment, never runtime or test dependencies);
# writes docs/performance.md and docs/analysis-vs-trusted-set.png.
bench:
	bash bench/setup.sh
	bench/.venv/bin/python bench/run.py

# Coverage-guided fuzzing (atheris/libFuzzer) of policy-text parsing and the analysis, for
# FUZZ_SECONDS; a crash saves its input as fuzz/artifacts/crash-*. The test suite runs it briefly.
FUZZ_SECONDS ?= 60
fuzz: setup
	mkdir -p fuzz/artifacts
	$(BIN)/python fuzz/fuzz_policy.py -max_total_time=$(FUZZ_SECONDS) -dict=fuzz/policy.dict \
		-artifact_prefix=fuzz/artifacts/ fuzz/artifacts/corpus

clean:
	rm -rf build dist dataperimeter-ecr-replicationguard.zip .pytest_cache
