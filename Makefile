# Every target creates the environment it needs: a fresh machine needs only Python 3.11+.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
DEMO_OUT := out/demo
DEMO_WAREHOUSE := sqlite:///var/demo-warehouse.sqlite
DEMO_AS_OF := 2026-09-30
DEMO_CHASE_AS_OF := 2026-10-20

export PREFECT_SERVER_ANALYTICS_ENABLED := false
export DO_NOT_TRACK := 1

.PHONY: uv env env-bench demo test test-fast lint bench browser office pango postgres clean

# uv comes from PyPI the first time; the lock file pins everything else. `env` is the
# environment people run boardpack in, without the test tools (pandera imports hypothesis
# when it is there, a quarter of a second on every `boardpack validate`); tests and
# benchmarks add the `dev` tools and the reference implementations' libraries (the `bench`
# group); each target syncs to what it needs.
UV := python3 -m uv
# Installed packages are compiled to bytecode once, as pip does (uv does not unless asked):
# where PYTHONDONTWRITEBYTECODE is set, as on these machines, every process otherwise
# compiled every module it imported (8 of the 11 s of a nightly with nothing new, each
# render worker and test subprocess paying it again).
SYNC := $(UV) sync --frozen --quiet --compile-bytecode

uv:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv

env: uv pango
	@$(SYNC) --no-dev

env-bench: uv pango
	@$(SYNC) --group bench

demo: env
	@mkdir -p var
	@rm -f var/demo-warehouse.sqlite
	$(BIN)/boardpack run --config examples/demo-council --warehouse $(DEMO_WAREHOUSE) \
	  --out $(DEMO_OUT) --as-of $(DEMO_AS_OF) || [ $$? -eq 1 ]
	@# A quarter with boardpack (README): the children's board's figures are signed off, the
	@# nightly three weeks on finds ELS's Q2 return outstanding, the signed-off report goes
	@# out as final; the ELS board's figures still await approval.
	$(BIN)/boardpack signoff --config examples/demo-council --warehouse $(DEMO_WAREHOUSE) \
	  --board cyp-ppb --period "2026/27 Q2" --by "Dana Okafor" \
	  --role "Director of Children's Services" --comment "Checked with the service managers"
	$(BIN)/boardpack run --config examples/demo-council --warehouse $(DEMO_WAREHOUSE) \
	  --out $(DEMO_OUT) --as-of $(DEMO_CHASE_AS_OF) || [ $$? -eq 1 ]
	$(BIN)/boardpack publish --config examples/demo-council --warehouse $(DEMO_WAREHOUSE) \
	  --out $(DEMO_OUT) --as-of $(DEMO_CHASE_AS_OF) --board cyp-ppb --period "2026/27 Q2" --final
	@echo
	@echo "Open $(CURDIR)/$(DEMO_OUT)/index.html for the board reports"
	@echo "and $(CURDIR)/$(DEMO_OUT)/data-quality.html for what was rejected and why;"
	@echo "$(CURDIR)/$(DEMO_OUT)/returns.html lists each department's returns and what is late."

browser:
	@command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

# The committee documents' tests print each Word file through LibreOffice and read the PDFs'
# text with poppler, as a clerk's machine would show them.
office:
	@(command -v soffice >/dev/null && command -v pdftotext >/dev/null) || \
	  (apt-get update -qq && apt-get install -y -qq libreoffice-writer-nogui poppler-utils)

# WeasyPrint (the PDF copies) lays text out with Debian's Pango.
pango:
	@ldconfig -p | grep -q libpangoft2-1.0 || \
	  (apt-get update -qq && apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0)

postgres:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
	  (apt-get update -qq && apt-get install -y -qq postgresql)

# Every test, with line coverage of the package reported at the end. One pytest worker per
# core (pytest-xdist), a test file's tests on one worker so its module fixtures are built once;
# each worker starts its own PostgreSQL, Prefect server and Dask cluster when it needs them.
test: env-bench browser office postgres
	$(BIN)/pytest -q -n logical --dist loadfile --durations=15 --cov --cov-report=term:skip-covered

# The quick loop while editing: no Prefect server, browser or PostgreSQL.
test-fast: env-bench office
	$(BIN)/pytest -q -m "not prefect and not browser and not postgres and not cluster and not package"

lint: env-bench
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

# The commands are timed in the environment people run them in, then the pipeline with the
# reference implementations beside it.
bench: env
	$(BIN)/python -m benchmarks.commands
	@$(SYNC) --group bench
	$(BIN)/python -m benchmarks.run

clean:
	rm -rf $(VENV) var out .pytest_cache .mypy_cache .ruff_cache
