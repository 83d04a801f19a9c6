# The README's two commands: `make demo` (main job on the sandbox) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export PATH := $(CURDIR)/$(BIN):$(PATH)
export MELTANO_SEND_ANONYMOUS_USAGE_STATS := false
DATA_DIR ?= .sandbox

.PHONY: install demo test lint ruff typecheck bench bench-peers clean sandbox-stop browser

# Every distribution of the repo, editable, into one development venv.
DISTS := ./core ./sandbox ./tap-salesforce-custom ./tap-hubspot-custom \
	./target-hubspot-custom ./target-salesforce-custom ./transforms
PYPROJECTS := pyproject.toml $(addsuffix /pyproject.toml,$(DISTS))

$(STAMP): $(PYPROJECTS) constraints.txt meltano.yml $(wildcard plugins/*/*.lock)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[test]" \
		$(foreach d,$(DISTS),-e $(d)) -e "./core[postgres]"
	$(BIN)/meltano install   # every plugin into its own venv under .meltano/ (pip_url, uv)
	touch $(STAMP)

install: $(STAMP)

demo: install
	DATA_DIR=$(DATA_DIR) scripts/demo.sh

# The linters first (ruff, then mypy on the core and the plugins): an error fails fast,
# before the long suite.
test: install lint browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q

# Other people's extractors beside ours on one seeded sandbox (downloads them from PyPI into
# bench/peers/.venvs once; not part of `make test`). Table: bench/results/peers.md.
PEER_PROJECTS ?= 100000
PEER_COMPANIES ?= 20000
bench-peers: install
	$(BIN)/python -m bench.peers --projects $(PEER_PROJECTS) --companies $(PEER_COMPANIES)

lint: ruff typecheck

ruff: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy   # the core and the plugins: [tool.mypy] in pyproject.toml

# The end-to-end pipeline benchmark (meltano run forward / reverse / two-way at 10k, 100k
# and 1M records; the rate-limited profile at 10k and 100k only); figures go to
# bench/results/pipeline.md and the README's Performance table. Each run is killed after
# --step-timeout seconds, so the whole benchmark ends in bounded time.
BENCH_ARGS ?= --sizes 10000,100000,1000000 --profiles fast,limited --limited-sizes 10000,100000 --limited-reverse-sizes 1000000
bench: install
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[bench]"
	$(BIN)/python bench/bench_pipeline.py $(BENCH_ARGS)

# Debian's chromium for the HTML report's browser test (Playwright drives /usr/bin/chromium).
# `make test` asks for it; without root or a Debian registry the test skips and says why.
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium) \
		|| echo "chromium could not be installed: the HTML report's browser test will skip"

sandbox-stop:
	-$(BIN)/crm-sandbox stop --data-dir $(DATA_DIR)

clean: sandbox-stop
	rm -rf $(VENV) $(DATA_DIR) .meltano output
