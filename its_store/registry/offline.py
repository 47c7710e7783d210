"""Offline answers: `model list`, `show` and `pull` from what this machine last saw, with no request at all.

Online commands leave their knowledge here as they go (best effort: a failure to write never fails
them), under `<cache dir>/models/offline/<endpoint+bucket digest>/`:

    index.json          per model: the versions (and manifest ETags) of its last listing, and when
    manifests/NAME.json the last manifest seen of each version of NAME (with its ETag), and when
    aliases/NAME.json   the last alias document seen, and when

Every write is atomic (core/files.py). Offline, the registry reads only these files and the blob cache
(registry/pull.py); it builds no S3 client, so it makes no network request. Each answer says how old
its knowledge is (`as_of`, `age_seconds`): the time of the oldest document it used.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from its_store.core import errors as E
from its_store.core.statefile import adopt
from its_store.registry import aliases as aliases_doc
from its_store.registry import validate
from its_store.registry.refs import LATEST, is_version, latest_version, parse_version, validate_name

if TYPE_CHECKING:
    from its_store.core.settings import Settings

log = logging.getLogger("its_store.registry.offline")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def age_seconds(as_of: str | None) -> float | None:
    stamp = _stamp(as_of)
    if not stamp:
        return None
    return round(max(0.0, (datetime.now(UTC) - datetime.fromisoformat(stamp)).total_seconds()), 3)


def _stamp(value: Any) -> str:
    """A time as this store writes it (ISO 8601 with its UTC offset, _now()), or "" for anything else: the
    copy is a local file, input like any, and its times are compared and subtracted (a number there was an
    unexpected TypeError, a time without an offset one too)."""
    if isinstance(value, str):
        try:
            if datetime.fromisoformat(value).tzinfo is not None:
                return value
        except ValueError:
            pass
    return ""


def models_cache_root(settings: Settings) -> Path:
    """<cache dir>/models: the blob cache (blobs/) and the offline documents (offline/) live here."""
    return Path(settings.cache_dir or Path.home() / ".cache" / "its-store") / "models"


class OfflineStore:
    """The documents one registry (server + bucket: Settings.server_id) was last seen with."""

    def __init__(self, settings: Settings, bucket: str) -> None:
        def named(server: str) -> Path:
            digest = hashlib.sha256(f"{server}/{bucket}".encode()).hexdigest()[:16]
            return models_cache_root(settings) / "offline" / digest
        former = settings.former_server_id()  # kept under the endpoint's former spelling: taken over
        self.root = named(settings.server_id()) if former is None else adopt(named(settings.server_id()), named(former))
        self.bucket = bucket
        if former is not None and os.path.lexists(named(former)):  # both there: two versions side by side
            self._take_in(named(former))

    # ------------------------------------------------------------------ writing (online commands)
    def remember_listing(self, name: str | None, manifests: dict[tuple[str, str], dict[str, Any]],
                         etags: dict[tuple[str, str], str], alias_docs: dict[str, dict[str, Any]],
                         alias_etags: dict[str, str]) -> None:
        """After a listing of NAME (or of the whole bucket): which versions exist now, their manifests and
        aliases. A model's files are rewritten only when an ETag changed (a warm list writes the index only)."""
        def work() -> None:
            now = _now()
            with self._locked():
                old = self._index()
                fresh: dict[str, dict[str, Any]] = {}
                for (model, version) in manifests:
                    entry = fresh.setdefault(model, {"as_of": now, "versions": {}, "aliases_etag": None})
                    entry["versions"][version] = etags.get((model, version), "")
                for model, entry in fresh.items():
                    if "" in entry["versions"].values() or old.get(model, {}).get("versions") != entry["versions"]:
                        seen = self._model_manifests(model)
                        self._write(self._manifests_path(model), {"versions": {
                            v: seen[v] if seen.get(v, {}).get("etag") == etag and etag else
                            {"seen_at": now, "etag": etag, "manifest": manifests[(model, v)],
                             "card": seen.get(v, {}).get("card")}  # a card never changes once stored
                            for v, etag in entry["versions"].items()}})
                for model, doc in alias_docs.items():
                    entry = fresh.setdefault(model, {"as_of": now, "versions": {}, "aliases_etag": None})
                    entry["aliases_etag"] = alias_etags.get(model)
                    if not entry["aliases_etag"] or old.get(model, {}).get("aliases_etag") != entry["aliases_etag"]:
                        self._write(self._aliases_path(model), {"seen_at": now, "doc": doc})
                for model in fresh:
                    if model not in alias_docs:  # no alias document (any more)
                        self._unlink(self._aliases_path(model))
                models = fresh if name is None else {**{k: v for k, v in old.items() if k != name}, **fresh}
                self._write(self.root / "index.json", {"models": models})
        self._quietly(work)

    def remember_manifest(self, name: str, version: str, manifest: dict[str, Any], card: str | None = None) -> None:
        """A manifest read by show, pull or promote (and the model card's text, when show read it)."""
        def work() -> None:
            with self._locked():
                seen = self._model_manifests(name)
                card_ = card if card is not None else seen.get(version, {}).get("card")
                seen[version] = {"seen_at": _now(), "etag": "", "manifest": manifest, "card": card_}
                self._write(self._manifests_path(name), {"versions": seen})
        self._quietly(work)

    def remember_aliases(self, name: str, doc: dict[str, Any]) -> None:
        self._quietly(lambda: self._write(self._aliases_path(name), {"seen_at": _now(), "doc": doc}))

    def forget_version(self, name: str, version: str) -> None:
        """A removed version (rm, gc) must not be offered offline any more."""
        self.forget_versions([(name, version)])

    def forget_versions(self, removed: list[tuple[str, str]]) -> None:
        """Several removed versions at once (gc): one rewrite per model and of the index."""
        def work() -> None:
            with self._locked():
                index = {"models": self._index()}
                for model in sorted({n for n, _ in removed}):
                    gone = {v for n, v in removed if n == model}
                    seen = self._model_manifests(model)
                    if gone & set(seen):
                        self._write(self._manifests_path(model),
                                    {"versions": {v: d for v, d in seen.items() if v not in gone}})
                    listed = index["models"].get(model, {}).get("versions", {})
                    for version in gone & set(listed):
                        del listed[version]
                self._write(self.root / "index.json", index)
        if removed:
            self._quietly(work)

    # ------------------------------------------------------------------ reading (offline answers)
    def listing(self, name: str | None) -> tuple[dict[tuple[str, str], dict[str, Any]], dict[str, dict[str, Any]],
                                                 str]:
        """(manifests, alias documents, as_of) of the last listing of NAME (or of every model seen)."""
        index = self._index()
        wanted = {name: index[name]} if name is not None and name in index else ({} if name else index)
        if not wanted:
            raise _never_seen(f"model {name}" if name else "any model", "model list" + (f" {name}" if name else ""))
        manifests, alias_docs, times = {}, {}, []
        for model, entry in wanted.items():
            times.append(entry["as_of"])
            seen = self._model_manifests(model)
            for version in entry.get("versions", {}):
                if version in seen:
                    manifests[(model, version)] = self._checked(model, version, seen[version])
            alias_docs[model] = self.aliases(model)[0]
        return manifests, alias_docs, min(times)

    def aliases(self, name: str) -> tuple[dict[str, Any], str | None]:
        """The last alias document seen, checked like one from the server (a local file is input too)."""
        doc = self._read(self._aliases_path(name))
        if not doc:
            return aliases_doc.empty_doc(name), None
        try:
            validate.alias_doc(doc.get("doc"), name)
        except validate.Invalid as problem:
            raise validate.integrity(str(self._aliases_path(name)), "cached alias document", problem) from None
        doc["doc"].setdefault("history", [])
        return doc["doc"], _stamp(doc.get("seen_at")) or None

    def resolve(self, name: str, ref: str | None) -> tuple[str, str]:
        """(version, as_of) of NAME@REF as last seen: a version as is, an alias from the last alias
        document, latest from the last listing (or the manifests seen, when never listed)."""
        what = f"{name}@{ref or LATEST}"
        if ref is not None and is_version(ref):
            return str(parse_version(ref)), ""
        if ref is None or ref == LATEST:
            entry = self._index().get(name)
            versions = list(entry["versions"]) if entry else list(self._model_manifests(name))
            found = latest_version(versions)
            if found is None:
                raise _never_seen(what, f"model list {name}")
            return found, entry["as_of"] if entry else ""
        doc, seen_at = self.aliases(name)
        version = doc["aliases"].get(ref)
        if version is None:
            raise _never_seen(what, f"model show {what}")
        return str(version), seen_at or ""

    def card(self, name: str, version: str) -> str | None:
        """The model card's Markdown as `model show` last read it (None if never shown online)."""
        value = self._model_manifests(name).get(version, {}).get("card")
        return value if isinstance(value, str) else None

    def manifest(self, name: str, version: str) -> tuple[dict[str, Any], str]:
        doc = self._model_manifests(name).get(version)
        if doc is None:
            raise _never_seen(f"{name}@{version}", f"model show {name}@{version}")
        return self._checked(name, version, doc), _stamp(doc.get("seen_at"))

    def _checked(self, name: str, version: str, entry: Any) -> dict[str, Any]:
        """A remembered manifest, checked like one from the server (registry/validate.py) and for being
        the one of NAME@VERSION: the local folder is input too."""
        from its_store.registry.manifest import check_name_version, checked
        where = f"{self._manifests_path(name)} ({name}@{version})"
        doc = entry.get("manifest") if isinstance(entry, dict) else None
        return check_name_version(checked(doc, where), name, version, where)

    # ------------------------------------------------------------------ files
    def _manifests_path(self, name: str) -> Path:
        return self.root / "manifests" / f"{name}.json"

    def _aliases_path(self, name: str) -> Path:
        return self.root / "aliases" / f"{name}.json"

    def _model_manifests(self, name: str) -> dict[str, dict[str, Any]]:
        """{version: {seen_at, etag, manifest}} of one model: one file per model, not one per version (each
        file costs ~1 ms to create on ext4, so a cold list of 1,000 versions would pay a second)."""
        doc = self._read(self._manifests_path(name))
        versions = (doc or {}).get("versions")
        if not isinstance(versions, dict):
            return {}
        return {version: entry for version, entry in versions.items() if isinstance(entry, dict)}

    def _take_in(self, former: Path) -> None:
        """_merge() the former copy when it is a folder of its own; a symbolic link (the copy kept elsewhere, a
        folder the user links to) is left alone with one warning: the merge removes what it took in, and
        through a link that would be the linked folder's manifests/, aliases/ and index.json, files of it
        that no index names included."""
        if os.path.islink(former) or not os.path.isdir(former):
            log.warning("offline registry copy %s of the endpoint's former spelling left alone: not a folder "
                        "of its own (a symbolic link or a file)", former)
            return
        self._quietly(lambda: self._merge(former))

    def _merge(self, former: Path) -> None:
        """Take in the models a copy kept under the endpoint's former spelling knows and this one does not (their
        index entries, manifests and aliases), under both copies' locks; a model this copy knows keeps its own
        documents (never replaced by older ones), and a name that is not a model name names no file. Then the
        former copy goes: a version still writing it fills it anew, to be taken in by the next command. A
        document of it that is there but cannot be read (a read error, not a file, too large) keeps the former
        copy whole, with one warning line: nothing is removed that was not taken in."""
        import shutil

        with self._locked(), self._locked(former):
            ours, theirs = self._index(), self._index(former)
            index = former / "index.json"  # there, and no document read from it: nothing known is removed
            unread = [index] if not theirs and os.path.lexists(index) and self._read(index) is None else []
            added = {model: entry for model, entry in theirs.items() if model not in ours and _is_name(model)}
            for model in list(added):
                docs = {sub: self._read(former / sub / f"{model}.json") for sub in ("manifests", "aliases")}
                missed = [former / sub / f"{model}.json" for sub, doc in docs.items()
                          if doc is None and os.path.lexists(former / sub / f"{model}.json")]
                if missed:  # not taken in (no index entry either): a later merge takes it whole
                    unread += missed
                    del added[model]
                    continue
                for sub, doc in docs.items():
                    if doc is not None and not os.path.lexists(self.root / sub / f"{model}.json"):
                        self._write(self.root / sub / f"{model}.json", doc)
            if added:
                self._write(self.root / "index.json", {"models": {**ours, **added}})
            if unread:
                log.warning("offline registry copy %s of the endpoint's former spelling kept: %s unreadable",
                            former, ", ".join(str(p) for p in unread))
                return
            shutil.rmtree(former / "manifests", ignore_errors=True)
            shutil.rmtree(former / "aliases", ignore_errors=True)
            self._unlink(former / "index.json")
        shutil.rmtree(former, ignore_errors=True)  # its lock, once released

    def _index(self, root: Path | None = None) -> dict[str, dict[str, Any]]:
        """index.json's {model: {"as_of", "versions": {version: etag}, "aliases_etag"}}, every read of it here.
        An entry of another shape (a damaged or hand-edited copy) counts as never seen: offline the answer
        is "never seen online", online the next listing writes it anew (before, both failed with an
        unexpected TypeError or AttributeError)."""
        models = (self._read((root or self.root) / "index.json") or {}).get("models")
        if not isinstance(models, dict):
            return {}
        return {model: {**entry, "as_of": _stamp(entry.get("as_of"))} for model, entry in models.items()
                if isinstance(entry, dict) and isinstance(entry.get("versions", {}), dict)}

    def _locked(self, root: Path | None = None) -> Any:
        from its_store.core.files import file_lock
        return file_lock((root or self.root) / ".lock")

    @staticmethod
    def _read(path: Path) -> dict[str, Any] | None:
        """A document, or None (never seen, or unusable: the next online command writes it anew). Read
        without blocking: a FIFO put here would hang `model list --offline` forever (core/statefile)."""
        from its_store.core.statefile import NotRegularFile, read_state
        try:
            doc = validate.decode(read_state(path), str(path), "offline registry copy")
        except NotRegularFile as exc:
            log.warning("offline registry copy ignored: %s", exc)
            return None
        except (OSError, E.IntegrityError):
            return None
        return doc if isinstance(doc, dict) else None

    @staticmethod
    def _write(path: Path, doc: dict[str, Any]) -> None:
        from its_store.core.files import write_atomic
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps(doc, separators=(",", ":"), sort_keys=True))

    @staticmethod
    def _unlink(path: Path) -> None:
        try:
            os.unlink(path)
        except OSError:
            pass

    @staticmethod
    def _quietly(work: Any) -> None:
        """Remembering is best effort: a full disk must not fail the online command that succeeded."""
        try:
            work()
        except (E.ItsStoreError, OSError, ValueError, TypeError) as exc:
            log.debug("offline cache not updated: %s", getattr(exc, "message", None) or exc)


def _is_name(text: str) -> bool:
    """Whether `text` (a key of a copy's index: input) is a model name, and so may name a file here."""
    try:
        validate_name(text)  # its pattern ends at \Z: a final newline is no name either
    except E.InvalidInputError:
        return False
    return True


def show_source(store: OfflineStore, name: str, ref: str | None) -> tuple[str, dict[str, Any], dict[str, Any], str]:
    """(version, manifest, alias document, as_of) of NAME@REF from the local cache, for show and pull."""
    if ref is not None and ref != LATEST and not is_version(ref):
        from its_store.registry.refs import validate_alias
        validate_alias(ref)
    version, resolved_at = store.resolve(name, ref)
    manifest, seen_at = store.manifest(name, version)
    doc, aliases_at = store.aliases(name)
    return version, manifest, doc, oldest(resolved_at, seen_at, aliases_at if ref and not is_version(ref) else None)


def _never_seen(what: str, command: str) -> E.NotCachedError:
    return E.NotCachedError(f"offline: {what} was never seen online, so the local cache cannot answer",
                            hint=f"run `its-store {command}` once while the server is reachable, or drop --offline")


def with_age(doc: dict[str, Any], as_of: str | None) -> dict[str, Any]:
    """Mark an offline answer: offline, as_of (ISO 8601, UTC) and age_seconds."""
    doc.update({"offline": True, "as_of": as_of or None, "age_seconds": age_seconds(as_of)})
    return doc


def oldest(*times: str | None) -> str:
    present = [t for t in times if t]
    return min(present) if present else ""
