# Two commands: `make run` (install, demo data, serve) and `make test` (install, lint, every test).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app inspect_app
STAMP := $(VENV)/.installed
# pytest processes for `make test`: more than the two cores, because the browser tests spend
# most of their time waiting on the page while the others compute.
TEST_WORKERS ?= 3
# Python's bytecode caches, written even where the environment turns them off (some container
# images set PYTHONDONTWRITEBYTECODE): without them every process the suite starts (each test
# worker, every `flask serve`, gunicorn and document worker) compiled the whole package from
# source again, and each test worker rewrote every test module's asserts.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: run test install system-deps system-test-deps bench clean

run: system-deps $(STAMP)
	$(FLASK) init-db
	$(FLASK) checklists validate
	$(FLASK) keys init
	$(FLASK) seed-demo --inspections
	$(FLASK) serve --host 127.0.0.1 --port 5000

test: system-test-deps $(STAMP)
	$(BIN)/ruff check inspect_app tests bench
	$(BIN)/ruff format --check inspect_app tests bench
	node --test tests/js/*.test.mjs
	@# The type check (half a minute on a fresh clone, on one core) runs beside the tests rather
	@# than before them; its report follows theirs, and either failing fails the target.
	@mkdir -p .mypy_cache; $(BIN)/mypy > .mypy_cache/make-test.log 2>&1 & types=$$!; \
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal --durations=20; tests=$$?; \
	wait $$types; typed=$$?; echo "mypy:"; cat .mypy_cache/make-test.log; \
	test $$tests -eq 0 && test $$typed -eq 0

install: $(STAMP)

system-deps:
	@scripts/system-deps.sh

system-test-deps:
	@scripts/system-deps.sh --test

$(STAMP): pyproject.toml
	@$(PY) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { echo "需要 Python 3.11 或更高版本（当前：$$($(PY) --version)）" >&2; exit 1; }
	@test -x $(BIN)/python || $(PY) -m venv $(VENV) || { echo "无法创建虚拟环境：请安装 python3-venv（apt-get install -y python3-venv）" >&2; exit 1; }
	scripts/python-deps.sh $(VENV)
	@touch $(STAMP)

bench: $(STAMP)
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
