"""The Kubernetes manifests of the documentation (docs/**/*.job.yaml) are checked while the site is built.

A manifest that a reader copies must do what its page says. So before any page is built (mkdocs
`on_pre_build`), each one is loaded and checked for what matters to `--shard`, and a problem fails the build:

- exactly one `kind: Job` (`batch/v1`), with `completionMode: Indexed` and `completions == parallelism`;
- a container runs `its-store` itself with `--shard $(JOB_COMPLETION_INDEX)/N`, N == completions (Kubernetes
  expands `$(JOB_COMPLETION_INDEX)` in args to the pod's index, 0..N-1, as --shard numbers shards), and its
  command line parses with the real CLI (docs/hooks/cli_lines.py);
- credentials come from a Secret: no literal `value` for a credential variable, a `*_FILE` variable points
  into a mounted Secret volume, the secret key is given at all, and no Secret is written into the manifest.

tests/test_docs_site.py runs the same check on the committed manifest and on broken copies of it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cli_lines  # beside this file: mkdocs puts a hook's folder on sys.path while loading it

INDEX = "$(JOB_COMPLETION_INDEX)"
CREDENTIALS = {"MINIO_ACCESS_KEY", "MINIO_SECRET_KEY", "MINIO_SSE_C_KEY", "MINIO_MODEL_WEBHOOK_SECRET",
               "MINIO_REDIS_URL", "REDIS_URL"}
SECRET_FILES = {"MINIO_SECRET_KEY_FILE", "MINIO_SSE_C_KEY_FILE"}
PATTERN = "*.job.yaml"


def check(text: str) -> list[str]:
    """What is wrong with the manifest `text` (nothing: an empty list)."""
    import yaml
    try:
        docs = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        return [f"not YAML: {exc}"]
    if not all(isinstance(doc, dict) for doc in docs):
        return ["every document must be a mapping"]
    problems = ["a Secret is written into the manifest: create it beside it (kubectl create secret), never "
                "commit it" for doc in docs if doc.get("kind") == "Secret"]
    jobs = [doc for doc in docs if doc.get("kind") == "Job"]
    if len(jobs) != 1:
        return [*problems, f"{len(jobs)} documents of kind Job: expected exactly one"]
    return problems + _job(jobs[0])


def _job(job: dict[str, Any]) -> list[str]:
    problems = []
    if job.get("apiVersion") != "batch/v1":
        problems.append(f"apiVersion is {job.get('apiVersion')!r}, not batch/v1")
    spec = _map(job.get("spec"))
    if spec.get("completionMode") != "Indexed":
        problems.append(f"completionMode is {spec.get('completionMode')!r}, not Indexed: the pods get no "
                        "JOB_COMPLETION_INDEX")
    completions, parallelism = spec.get("completions"), spec.get("parallelism")
    if not isinstance(completions, int) or isinstance(completions, bool) or completions < 1:
        return [*problems, f"completions is {completions!r}, not a count of shards"]
    if parallelism != completions:
        problems.append(f"parallelism ({parallelism!r}) is not completions ({completions}): one pod per shard, "
                        "all at once")
    pod = _map(_map(spec.get("template")).get("spec"))
    if pod.get("restartPolicy") not in ("Never", "OnFailure"):
        problems.append(f"restartPolicy is {pod.get('restartPolicy')!r}: a Job needs Never or OnFailure")
    containers = [_map(c) for c in pod.get("containers") or []]
    runs = [c for c in containers if _runs_its_store(c)]
    if not runs:
        return [*problems, "no container runs its-store (command: [its-store])"]
    volumes = {_map(v).get("name"): _map(v) for v in pod.get("volumes") or []}
    for container in runs:
        problems += _command(container, completions) + _credentials(container, volumes)
    return problems


def _map(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _runs_its_store(container: dict[str, Any]) -> bool:
    command = container.get("command") or []
    return bool(command) and Path(str(command[0])).name == "its-store"


def _command(container: dict[str, Any], completions: int) -> list[str]:
    """--shard $(JOB_COMPLETION_INDEX)/N with N == completions, and a command line the CLI accepts."""
    name = container.get("name")
    args = [str(a) for a in [*container.get("command", [])[1:], *(container.get("args") or [])]]
    shards = [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--shard"]
    shards += [a.partition("=")[2] for a in args if a.startswith("--shard=")]
    problems = []
    if shards != [f"{INDEX}/{completions}"]:
        problems.append(f"container {name}: --shard is {shards or 'missing'}, not ['{INDEX}/{completions}'] "
                        f"(one shard per completion index, N = completions = {completions})")
    why = cli_lines.parse([a.replace(INDEX, "0") for a in args])
    if why:
        problems.append(f"container {name}: the CLI refuses its command line: {why}")
    return problems


def _credentials(container: dict[str, Any], volumes: dict[object, dict[str, Any]]) -> list[str]:
    """Credentials only from a Secret: by secretKeyRef, envFrom secretRef, or a file of a mounted Secret."""
    name, problems = container.get("name"), []
    secret_mounts = [str(_map(m).get("mountPath", "")).rstrip("/") + "/"
                     for m in container.get("volumeMounts") or []
                     if "secret" in volumes.get(_map(m).get("name"), {})]
    has_key = any("secretRef" in _map(e) for e in container.get("envFrom") or [])
    for env in (_map(e) for e in container.get("env") or []):
        var = env.get("name")
        if var in CREDENTIALS:
            if "value" in env:
                problems.append(f"container {name}: {var} is a literal value: take it from a Secret "
                                "(valueFrom.secretKeyRef)")
            elif "secretKeyRef" not in _map(env.get("valueFrom")):
                problems.append(f"container {name}: {var} does not come from a Secret (valueFrom.secretKeyRef)")
            else:
                has_key |= var == "MINIO_SECRET_KEY"
        elif var in SECRET_FILES:
            path = str(env.get("value", ""))
            if not any(path.startswith(mount) for mount in secret_mounts):
                problems.append(f"container {name}: {var}={path!r} is not a file of a mounted Secret volume")
            else:
                has_key |= var == "MINIO_SECRET_KEY_FILE"
    if not has_key:
        problems.append(f"container {name}: no secret key from a Secret (MINIO_SECRET_KEY by secretKeyRef, "
                        "or MINIO_SECRET_KEY_FILE in a Secret volume)")
    return problems


def on_pre_build(config: Any) -> None:
    """mkdocs hook: fail the build on the first manifest with a problem, naming every problem."""
    from mkdocs.exceptions import PluginError
    docs = Path(config["docs_dir"])
    manifests = sorted(docs.rglob(PATTERN))
    if not manifests:
        raise PluginError(f"no {PATTERN} under {docs}: the --shard guide shows one")
    for path in manifests:
        problems = check(path.read_text(encoding="utf-8"))
        if problems:
            raise PluginError(f"{path.relative_to(docs)}: " + "; ".join(problems))
