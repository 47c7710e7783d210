"""The documentation site (mkdocs.yml, docs/) builds with no warning, and what it shows holds (issue 24).

- `mkdocs build --strict`, as `make docs` runs it, into a temp folder: any warning fails it (a broken link
  or anchor, a page left out of the navigation, a missing snippet file, a command line the CLI refuses,
  a broken Kubernetes manifest), and the pages that include files show them.
- The `--shard` guide's Indexed Job (docs/guides/sync-shards.job.yaml) passes the check the build runs
  (docs/hooks/k8s_manifest.py), every way of breaking what matters is refused, and a broken manifest fails
  the build itself.
- Every `its-store ...` command line of the pages and of README.md parses with the real CLI
  (docs/hooks/cli_lines.py); the checker itself catches a renamed option.
- The JSON Schemas page (docs/schema/index.md) is the one cli/schemas.py generates, and names every command
  of RESULTS and every committed schema.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from helpers import ROOT

sys.path.insert(0, str(ROOT / "docs" / "hooks"))
import cli_lines  # docs/hooks/ is not a package: the build loads these files by path
import k8s_manifest

from its_store.cli import schemas

MANIFEST = ROOT / "docs" / "guides" / "sync-shards.job.yaml"
BUILD_TIMEOUT = 300  # a safety net only: the build takes a few seconds


def mkdocs_build(config: Path, site: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}  # the hooks import this its_store
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file", str(config),
                           "--site-dir", str(site)], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=BUILD_TIMEOUT)


# ------------------------------------------------------------------------------------------ build
def test_strict_build_has_no_warning(tmp_path: Path) -> None:
    site = tmp_path / "site"
    run = mkdocs_build(ROOT / "mkdocs.yml", site)
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "WARNING" not in output and "ERROR" not in output, output
    job = (site / "guides" / "sharding" / "index.html").read_text(encoding="utf-8")
    assert "completionMode" in job and "JOB_COMPLETION_INDEX" in job  # included from the YAML file
    assert (site / "guides" / "sync-shards.job.yaml").read_bytes() == MANIFEST.read_bytes()  # served as is
    results = (site / "benchmarks" / "results" / "index.html").read_text(encoding="utf-8")
    first = next(line for line in (ROOT / "bench" / "RESULTS.md").read_text().splitlines() if line.startswith("# "))
    assert first.removeprefix("# ") in results  # bench/RESULTS.md included from its file
    assert (site / "schema" / "upload.schema.json").is_file()
    assert not (site / "hooks").exists()  # build code, not pages


# ------------------------------------------------------------------------------ the Indexed Job
def test_the_job_manifest_passes_the_check() -> None:
    assert k8s_manifest.check(MANIFEST.read_text(encoding="utf-8")) == []


def _container(doc: dict[str, Any]) -> dict[str, Any]:
    container: dict[str, Any] = doc["spec"]["template"]["spec"]["containers"][0]
    return container


def _env(doc: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in _container(doc)["env"] if e["name"] == name)


def _args(doc: dict[str, Any], old: str, new: str) -> None:
    _container(doc)["args"] = [new if a == old else a for a in _container(doc)["args"]]


BREAKS = {
    "not a Job": (lambda d: d.update(kind="Deployment"), "documents of kind Job"),
    "not Indexed": (lambda d: d["spec"].update(completionMode="NonIndexed"), "completionMode"),
    "parallelism != completions": (lambda d: d["spec"].update(parallelism=2), "parallelism"),
    "N != completions": (lambda d: _args(d, "$(JOB_COMPLETION_INDEX)/4", "$(JOB_COMPLETION_INDEX)/8"), "--shard"),
    "no completion index": (lambda d: _args(d, "$(JOB_COMPLETION_INDEX)/4", "0/4"), "--shard"),
    "no --shard": (lambda d: _args(d, "--shard", "--checksum"), "--shard"),
    "not its-store": (lambda d: _container(d).update(command=["sh", "-c"]), "no container runs its-store"),
    "an option the CLI lacks": (lambda d: _args(d, "--checksum", "--checksums"), "the CLI refuses"),
    "a literal secret": (lambda d: _container(d)["env"].append({"name": "MINIO_SECRET_KEY", "value": "s3cr3t"}),
                         "MINIO_SECRET_KEY is a literal value"),
    "a literal access key": (lambda d: _env(d, "MINIO_ACCESS_KEY").update(value="its", valueFrom=None),
                             "MINIO_ACCESS_KEY is a literal value"),
    "a key from a ConfigMap": (lambda d: _env(d, "MINIO_ACCESS_KEY").update(
        valueFrom={"configMapKeyRef": {"name": "c", "key": "k"}}), "does not come from a Secret"),
    "a key file outside the Secret": (lambda d: _env(d, "MINIO_SECRET_KEY_FILE").update(value="/etc/key"),
                                      "not a file of a mounted Secret volume"),
    "no secret key at all": (lambda d: _container(d).update(
        env=[e for e in _container(d)["env"] if e["name"] != "MINIO_SECRET_KEY_FILE"]), "no secret key"),
    "restartPolicy Always": (lambda d: d["spec"]["template"]["spec"].update(restartPolicy="Always"),
                             "restartPolicy"),
}


@pytest.mark.parametrize("name", sorted(BREAKS))
def test_a_broken_job_manifest_is_refused(name: str) -> None:
    doc = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    breaks, expected = BREAKS[name]
    breaks(doc)
    problems = k8s_manifest.check(yaml.safe_dump(doc))
    assert any(expected in p for p in problems), problems


def test_a_secret_written_into_the_manifest_is_refused() -> None:
    secret = "---\napiVersion: v1\nkind: Secret\nmetadata: {name: its-store-minio}\nstringData: {secret-key: x}\n"
    assert any("a Secret is written" in p for p in k8s_manifest.check(MANIFEST.read_text() + secret))


def test_a_broken_manifest_fails_the_build(tmp_path: Path) -> None:
    """The whole build, on a copy of docs/ whose Job runs 3 completions for 4 shards: it stops before any
    page is built, naming the manifest and the problem."""
    docs = tmp_path / "docs"
    shutil.copytree(ROOT / "docs", docs)
    broken = docs / "guides" / MANIFEST.name
    broken.write_text(MANIFEST.read_text().replace("completions: 4 ", "completions: 3 "), encoding="utf-8")
    config = tmp_path / "mkdocs.yml"
    config.write_text(f"INHERIT: {ROOT / 'mkdocs.yml'}\ndocs_dir: {docs}\n", encoding="utf-8")
    run = mkdocs_build(config, tmp_path / "site")
    output = run.stdout + run.stderr
    assert run.returncode != 0, output
    assert "guides/sync-shards.job.yaml" in output and "parallelism (4) is not completions (3)" in output, output


# ------------------------------------------------------------------------------- command lines
def test_every_command_line_of_the_docs_parses() -> None:
    pages = [ROOT / "README.md", *sorted(p for p in (ROOT / "docs").rglob("*.md")
                                        if not p.relative_to(ROOT / "docs").as_posix().startswith(cli_lines.GENERATED))]
    lines = {page: list(cli_lines.command_lines(page.read_text(encoding="utf-8"))) for page in pages}
    assert sum(map(len, lines.values())) > 150  # the guides' recipes, the unit's ExecStart, the cron lines
    problems = [f"{page.relative_to(ROOT)}: {p}" for page in pages for p in cli_lines.problems(page.read_text())]
    assert problems == []


def test_the_command_line_check_catches_drift() -> None:
    page = "```sh\nits-store ls s3://b/ --no-such-flag\nits-store bucket nope s3://b\nits-store sync a\n```\n"
    assert len(cli_lines.problems(page)) == 3
    ok = ("```sh\n*/5 * * * * its its-store -q health >/dev/null || logger -t its-store \"unhealthy\"\n"
          "# /etc/cron.d/its-store (user its)\njournalctl -u its-store-watch -f\n```\n"
          "```ini\nExecStart=/usr/local/bin/its-store sync /a s3://b/ --watch \\\n    --remove-source\n"
          "Environment=MINIO_CACHE_DIR=/var/cache/its-store MINIO_AUDIT_LOG=/x\n```\n")
    assert [cli_lines.argv(r)[:2] for r in cli_lines.command_lines(ok)] == [["-q", "health"], ["sync", "/a"]]
    assert cli_lines.problems(ok) == []


# --------------------------------------------------------------------------------- JSON Schemas
def test_the_schema_page_lists_every_command_and_schema() -> None:
    page = (ROOT / "docs" / "schema" / "index.md").read_text(encoding="utf-8")
    assert page == schemas.index_page(), "run `python -m its_store.cli.schemas docs/schema` and commit the diff"
    missing = [c for c in schemas.RESULTS if f"`its-store {c} --json`" not in page]
    missing += [p.name for p in (ROOT / "docs" / "schema").glob("*.schema.json") if f"]({p.name})" not in page]
    assert missing == []
