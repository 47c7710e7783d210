"""`model gc` (and `model rm`) racing `model promote`: an alias never ends up pointing at a removed version.

The interleavings are forced, never timed: each side talks to the real SeaweedFS through its own fault
proxy (tests/faultproxy.py), whose hook holds one chosen request (the alias PUT, the manifest delete,
the re-check HEAD) until the test releases it, after the other side has reached a known point.
The protocol under test is described in its_store/registry/gc.py.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from faultproxy import FaultProxy, Seen

from its_store.core import errors as E

from conftest import one_line_error
from helpers import write_file

WAIT = 60.0  # a safety net only: every wait below ends on an event, long before this


class Gate:
    """Holds the first request matching `when` (checked in order of arrival) until release()."""

    def __init__(self, when: Callable[[Seen], bool]) -> None:
        self.when = when
        self.arrived = threading.Event()
        self._open = threading.Event()
        self._fired = False
        self._lock = threading.Lock()

    def __call__(self, seen: Seen) -> None:
        with self._lock:
            hold = not self._fired and self.when(seen)
            self._fired = self._fired or hold
        if hold:
            self.arrived.set()
            assert self._open.wait(WAIT), "gate never released"
        return None  # then forward it as usual

    def release(self) -> None:
        self._open.set()

    def reached(self) -> None:
        assert self.arrived.wait(WAIT), "the request never came"


class Gates:
    """Several gates on one proxy, tried in turn (a request is held by at most one)."""

    def __init__(self, *gates: Gate) -> None:
        self.gates = gates

    def __call__(self, seen: Seen) -> None:
        for gate in self.gates:
            gate(seen)
        return None


class Worker(threading.Thread):
    """Runs fn() in a thread; .result or .error afterwards."""

    def __init__(self, fn: Callable[[], Any]) -> None:
        super().__init__(daemon=True)
        self.fn = fn
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            self.result = self.fn()
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            self.error = exc

    def done(self) -> Worker:
        self.join(WAIT)
        assert not self.is_alive(), "worker did not finish"
        return self


@pytest.fixture
def via(s3_server, env) -> Iterator[Callable[..., Any]]:
    """via(hook) -> a ModelRegistry whose every request passes a FaultProxy with that hook."""
    from its_store import ModelRegistry, StorageService, load_settings
    proxies: list[FaultProxy] = []

    def make(hook: Callable[[Seen], None]) -> Any:
        proxy = FaultProxy(int(s3_server.endpoint.rsplit(":", 1)[1]), answer=hook).start()
        proxies.append(proxy)
        return ModelRegistry(StorageService(load_settings().model_copy(update={"endpoint": proxy.endpoint})))

    yield make
    for proxy in proxies:
        proxy.stop()


def is_alias_put(seen: Seen) -> bool:
    return seen.method == "PUT" and seen.path.endswith("/race/_aliases.json")


def two_versions(service: Any, tmp_path: Path) -> Any:
    from its_store import ModelRegistry
    reg = ModelRegistry(service)
    for i in range(2):
        reg.register_model(write_file(tmp_path / f"w{i}.pt", 2000 + i, seed=50 + i), "race", f"1.0.{i}")
    return reg


def aliases_point_at_existing_versions(reg: Any) -> None:
    """The invariant: every alias of the model names a version whose manifest exists."""
    for alias, version in reg.get_aliases("race")["aliases"].items():
        assert reg.context.manifest_exists("race", version), f"{alias} -> {version}, which is gone"


def test_gc_during_a_slow_alias_write_never_leaves_a_dangling_alias(cli, service, via, tmp_path: Path):
    """The tester's report: the alias PUT took 2 s, promote exited 0 (production -> 1.0.0), gc removed 1.0.0,
    and `model pull race@production` then failed. Here the PUT is held until gc has finished."""
    reg = two_versions(service, tmp_path)
    put = Gate(is_alias_put)
    promoting = Worker(lambda: via(put).promote("race", "1.0.0", "production"))
    promoting.start()
    put.reached()  # promote checked that 1.0.0 exists and sent its alias PUT: gc runs now
    report = reg.gc("race", keep_last=1, older_than="0s")
    assert [r["version"] for r in report["removed"]] == ["1.0.0"]  # no alias yet: removed
    put.release()
    promoting.done()
    assert isinstance(promoting.error, E.NotFoundError), promoting.error or promoting.result
    assert "removed while" in promoting.error.message
    aliases_point_at_existing_versions(reg)
    assert "production" not in reg.get_aliases("race")["aliases"]
    history = reg.get_aliases("race")["history"]
    assert [h["action"] for h in history] == ["promote", "undo"]  # the failed promotion is on record
    pulled = cli("model", "pull", "race@production", "p.pt")
    assert pulled.exit_code == 3 and "has no alias" in pulled.stderr  # not a dangling alias to a lost version


def test_alias_written_between_gc_delete_and_recheck_keeps_the_version(cli, service, via, tmp_path: Path):
    """gc deletes the manifest, promote's alias lands, gc's re-read of the aliases sees it: gc puts the
    manifest back and keeps the files; promote's own re-check (held until then) finds the version."""
    reg = two_versions(service, tmp_path)
    put = Gate(is_alias_put)
    head = Gate(lambda s: s.method == "HEAD" and s.path.endswith("/race/1.0.0/manifest.json") and put._fired)
    delete = Gate(lambda s: s.method == "POST" and "delete" in s.query)
    promoting = Worker(lambda: via(Gates(put, head)).promote("race", "1.0.0", "production"))
    promoting.start()
    put.reached()
    collecting = Worker(lambda: via(delete).gc("race", keep_last=1, older_than="0s"))
    collecting.start()
    delete.reached()  # gc planned to remove 1.0.0 (no alias yet) and is about to delete its manifest
    put.release()
    head.reached()  # the alias is written; promote is about to check that 1.0.0 still exists
    delete.release()
    report = collecting.done().result
    assert collecting.error is None, collecting.error
    assert report["removed"] == [] and {"model": "race", "version": "1.0.0", "reason": "alias set during gc"} \
        in report["protected"]
    head.release()
    promoting.done()
    assert promoting.error is None and promoting.result["version"] == "1.0.0", promoting.error
    aliases_point_at_existing_versions(reg)
    pulled = cli("model", "pull", "race@production", "p.pt", "--json")
    assert pulled.exit_code == 0 and pulled.json()["version"] == "1.0.0", pulled
    assert (tmp_path / "p.pt").read_bytes() == (tmp_path / "w0.pt").read_bytes()


def test_rm_racing_promote_never_leaves_a_dangling_alias(cli, service, via, tmp_path: Path):
    """`model rm` has the same race: its alias check, then promote's write, then its delete."""
    reg = two_versions(service, tmp_path)
    put = Gate(is_alias_put)
    promoting = Worker(lambda: via(put).promote("race", "1.0.0", "production"))
    promoting.start()
    put.reached()
    reg.delete_model("race", "1.0.0")
    put.release()
    promoting.done()
    assert isinstance(promoting.error, E.NotFoundError), promoting.error or promoting.result
    aliases_point_at_existing_versions(reg)


# ------------------------------------------------------------------ removal racing a re-registration
def nth(n: int, when: Callable[[Seen], bool]) -> Callable[[Seen], bool]:
    """A Gate condition: the n-th request matching `when`."""
    seen = itertools.count(1)
    lock = threading.Lock()

    def condition(request: Seen) -> bool:
        if not when(request):
            return False
        with lock:
            return next(seen) == n
    return condition


def is_batch_delete(seen: Seen) -> bool:
    return seen.method == "POST" and "delete" in seen.query


def is_write(seen: Seen) -> bool:
    return seen.method in ("PUT", "POST", "DELETE")


def again(tmp_path: Path) -> Path:
    """New bytes for race@1.0.0 under the same file name, so they land on the same key as the old ones."""
    return write_file(tmp_path / "again" / "w0.pt", 3000, seed=99)


def version_is_whole(cli: Any, ref: str, expected: Path, tmp_path: Path) -> None:
    pulled = cli("model", "pull", ref, str(tmp_path / "pulled.pt"), "--json")
    assert pulled.exit_code == 0, pulled
    assert (tmp_path / "pulled.pt").read_bytes() == expected.read_bytes()


def test_register_force_while_gc_deletes_the_files_is_refused(cli, service, via, tmp_path: Path):
    """The tester's report: `model gc` racing `model register --force` of the same version deleted the new
    files (same keys as the old ones) after the registration had written its manifest. gc now holds the
    version's marker while it deletes; --force does not take over a removal's marker."""
    reg = two_versions(service, tmp_path)
    files = Gate(nth(2, is_batch_delete))  # gc's second batch delete: the files, after the manifests
    collecting = Worker(lambda: via(files).gc("race", keep_last=1, older_than="0s"))
    collecting.start()
    files.reached()
    with pytest.raises(E.ConflictError, match="being removed") as refused:
        reg.register_model(again(tmp_path), "race", "1.0.0", force=True)
    assert not isinstance(refused.value, E.AlreadyExistsError)
    files.release()
    report = collecting.done().result
    assert collecting.error is None and [r["version"] for r in report["removed"]] == ["1.0.0"], collecting.error
    assert [o.key for o in service.s3.list_objects(reg.bucket, "race/1.0.0/", True)] == []  # marker gone too
    reg.register_model(again(tmp_path), "race", "1.0.0", force=True)  # once gc is done
    version_is_whole(cli, "race@1.0.0", again(tmp_path), tmp_path)


def test_version_registered_again_after_the_gc_plan_is_kept(cli, service, via, tmp_path: Path):
    """gc planned on the old manifest; a --force registration finishes before gc's first write. gc checks
    the manifest's ETag under the marker and keeps the new version instead of deleting its files."""
    reg = two_versions(service, tmp_path)
    first = Gate(is_write)
    collecting = Worker(lambda: via(first).gc("race", keep_last=1, older_than="0s"))
    collecting.start()
    first.reached()  # gc has listed and planned to remove 1.0.0
    reg.register_model(again(tmp_path), "race", "1.0.0", force=True)
    first.release()
    report = collecting.done().result
    assert collecting.error is None and report["removed"] == [], collecting.error or report
    assert {"model": "race", "version": "1.0.0", "reason": "changed during gc (registered again)"} \
        in report["protected"]
    version_is_whole(cli, "race@1.0.0", again(tmp_path), tmp_path)
    assert ".its-registering" not in str([o.key for o in service.s3.list_objects(reg.bucket, "race/", True)])


def test_register_force_while_rm_deletes_the_files_is_refused(cli, service, via, tmp_path: Path):
    """`model rm` holds the same marker: a --force registration of the version it removes waits its turn."""
    reg = two_versions(service, tmp_path)
    files = Gate(nth(2, is_batch_delete))  # rm's second batch delete: the files, after the manifest
    removing = Worker(lambda: via(files).delete_model("race", "1.0.0"))
    removing.start()
    files.reached()
    run = cli("model", "register", str(again(tmp_path)), "-n", "race", "--version", "1.0.0", "--force", "--no-git")
    assert run.exit_code == 5 and "being removed (model rm" in one_line_error(run), run
    files.release()
    assert removing.done().error is None and removing.result["deleted_objects"] == 2, removing.error
    reg.register_model(again(tmp_path), "race", "1.0.0", force=True)
    version_is_whole(cli, "race@1.0.0", again(tmp_path), tmp_path)


def test_gc_of_a_dead_registration_never_deletes_a_takeover(cli, service, via, tmp_path: Path):
    """A dead registration's debris (marker + a partial file) is removed by gc's stale rule; a --force
    registration taking the version over while gc deletes is refused instead of losing its files."""
    from datetime import UTC, datetime, timedelta
    reg = two_versions(service, tmp_path)
    reg.store.put_if_absent("race/2.0.0/.its-registering", {"by": "dead@host"})
    reg.s3.put(reg.bucket, "race/2.0.0/w0.pt", b"partial upload", {})
    later = datetime.now(UTC) + timedelta(hours=2)  # the marker is stale then
    files = Gate(nth(1, is_batch_delete))  # the debris' files; the marker goes last
    collecting = Worker(lambda: via(files).gc("race", keep_last=5, older_than="30d", now=later))
    collecting.start()
    files.reached()
    with pytest.raises(E.ConflictError, match="being removed"):
        reg.register_model(again(tmp_path), "race", "2.0.0", force=True)
    files.release()
    report = collecting.done().result
    assert collecting.error is None and [s["version"] for s in report["stale_registrations"]] == ["2.0.0"]
    assert [o.key for o in service.s3.list_objects(reg.bucket, "race/2.0.0/", True)] == []
    reg.register_model(again(tmp_path), "race", "2.0.0", force=True)
    version_is_whole(cli, "race@2.0.0", again(tmp_path), tmp_path)
