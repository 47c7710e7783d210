"""Bucket policies: who may do what where, anonymous access included.

Two common cases get flags that build the JSON: `public_read` (anonymous s3:GetObject under one or
more prefixes, e.g. snapshots shared with a traffic authority) and `public_write` (anonymous
s3:PutObject under a prefix, for a camera that cannot sign requests). Anything else comes as a JSON
document. Reading a policy back gives the JSON and a plain-words summary, and says whether anyone
without credentials is allowed anything (`public`): `health` and `bucket info` flag that.

Anonymous read lets anyone who knows (or guesses) a key read it; no listing is granted, so keys
are not enumerable. Every change goes to the audit log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from pydantic import Field

from its_store.core import errors as E
from its_store.core.jsontext import MAX_DEPTH, loads, nests_deeper
from its_store.core.models import Result
from its_store.core.refs import validate_bucket

if TYPE_CHECKING:
    from its_store.service.context import Context

VERSION = "2012-10-17"

_WORDS = {"s3:GetObject": "read objects", "s3:PutObject": "write objects", "s3:DeleteObject": "delete objects",
          "s3:ListBucket": "list keys", "s3:*": "do anything", "s3:GetObjectVersion": "read old versions",
          "s3:ListBucketVersions": "list versions", "s3:DeleteObjectVersion": "delete versions",
          "s3:AbortMultipartUpload": "abort uploads", "s3:ListMultipartUploadParts": "list upload parts",
          "s3:ListBucketMultipartUploads": "list uploads", "s3:GetBucketLocation": "see the bucket's region"}


class StatementSummary(Result):
    """One statement of a bucket policy in plain words: its effect, whether it is for anyone without
    credentials, its actions and resources as written, and `text` (e.g. "anyone, without credentials, may
    read objects under share/")."""

    effect: str | None = None     # Allow or Deny
    anonymous: bool = False
    actions: list[str] = Field(default_factory=list)
    resources: list[str] = Field(default_factory=list)
    text: str


class PolicyView(Result):
    """`bucket policy show|set`: a bucket's policy, the JSON document as stored (None: no policy), a summary
    per statement, and whether anyone without credentials is allowed anything (`public`)."""

    bucket: str
    public: bool = False
    policy: dict[str, Any] | None = None   # the policy document (free-form JSON, as S3 defines it)
    summary: list[StatementSummary] = Field(default_factory=list)

    @property
    def statements(self) -> list[StatementSummary]:
        """The summary per statement (the name earlier versions gave it)."""
        return self.summary

    def lines(self) -> list[str]:
        """The summary in plain words, one line per statement."""
        return [s.text for s in self.summary]


class PolicyRemoved(Result):
    """`bucket policy rm`: whether there was a policy to remove, and whether it made the bucket public."""

    bucket: str
    removed: bool
    was_public: bool


def public_policy(bucket: str, read: list[str], write: list[str]) -> dict[str, Any]:
    """The JSON for anonymous read under `read` prefixes and anonymous write under `write` prefixes."""
    statements = []
    for sid, action, prefixes in (("PublicRead", "s3:GetObject", read), ("PublicWrite", "s3:PutObject", write)):
        if prefixes:
            statements.append({"Sid": sid, "Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": [action],
                               "Resource": [f"arn:aws:s3:::{bucket}/{_prefix(p)}*" for p in prefixes]})
    return {"Version": VERSION, "Statement": statements}


def _prefix(text: str) -> str:
    """A key prefix for a policy: no wildcards (use a file for those); '' or '/' means the whole bucket."""
    prefix = text.strip().lstrip("/")
    if any(c in prefix for c in "*?$\"\\") or any(ord(c) < 32 for c in prefix):
        raise E.InvalidInputError(f"invalid prefix {text!r} for a policy",
                                  hint="give a plain key prefix such as share/ (wildcards: use --file)")
    return prefix


def load_policy(path: Path) -> dict[str, Any]:
    """A policy from a JSON file, checked for the shape S3 requires (exit 2 otherwise)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise E.LocalFileNotFoundError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise E.InvalidInputError(f"cannot read {path}: {exc}") from None
    try:
        doc = loads(text)
    except json.JSONDecodeError as exc:
        raise E.InvalidInputError(f"{path} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})",
                                  hint="a bucket policy is one JSON object with a Statement list") from None
    check_policy(doc, str(path))
    if nests_deeper(doc):  # S3 would refuse it; a summary of it would not get that far
        raise E.InvalidInputError(f"{path} is nested deeper than {MAX_DEPTH} levels: no bucket policy is")
    return cast("dict[str, Any]", doc)  # check_policy refuses anything but a JSON object


def check_policy(doc: Any, where: str = "the policy") -> None:
    """Refuse what S3 would refuse anyway, before any request: not an object, no Statement list, a
    statement without Effect Allow|Deny, Action or Resource."""
    if not isinstance(doc, dict) or not isinstance(doc.get("Statement"), list) or not doc["Statement"]:
        raise E.InvalidInputError(f"{where} is not a bucket policy: it needs a non-empty \"Statement\" list")
    for i, st in enumerate(doc["Statement"], 1):
        if not isinstance(st, dict) or st.get("Effect") not in ("Allow", "Deny"):
            raise E.InvalidInputError(f"{where}: statement {i} needs \"Effect\": \"Allow\" or \"Deny\"")
        if not st.get("Action") or not st.get("Resource"):
            raise E.InvalidInputError(f"{where}: statement {i} needs \"Action\" and \"Resource\"")


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value is not None else []


def _anyone(principal: Any) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _list(principal.get("AWS"))


def statements(doc: dict[str, Any]) -> list[Any]:
    """The statements of a policy as S3's grammar allows them: a list, or one statement object on its own
    (AWS documents both; read as "no statement", such a policy was said not public when it was)."""
    found = doc.get("Statement")
    if isinstance(found, dict):
        return [found]
    return found if isinstance(found, list) else []


def summarize(bucket: str, doc: dict[str, Any] | None) -> tuple[list[StatementSummary], bool]:
    """(one plain-words entry per statement, whether anonymous requests are allowed anything)."""
    if not doc:
        return [], False
    out: list[StatementSummary] = []
    public = False
    for st in statements(doc):
        if not isinstance(st, dict):
            continue
        anyone = _anyone(st.get("Principal"))
        who = "anyone, without credentials," if anyone else "principals " + ", ".join(
            _list((st.get("Principal") or {}).get("AWS") if isinstance(st.get("Principal"), dict)
                  else st.get("Principal")))
        allow = st.get("Effect") == "Allow"
        actions = _list(st.get("Action"))
        where = [_where(bucket, r) for r in _list(st.get("Resource"))]
        conditions = " (with conditions)" if st.get("Condition") else ""
        verb = "may" if allow else "may not"
        text = f"{who} {verb} {', '.join(_WORDS.get(a, a) for a in actions)} {' and '.join(where)}{conditions}"
        public = public or (allow and anyone and not st.get("Condition"))
        effect = st.get("Effect")
        out.append(StatementSummary(effect=effect if isinstance(effect, str) else None, anonymous=anyone,
                                    actions=actions, resources=_list(st.get("Resource")), text=text))
    return out, public


def _where(bucket: str, resource: str) -> str:
    base = f"arn:aws:s3:::{bucket}"
    if resource == base:
        return "on the bucket itself"
    if resource in (base + "/*", "*", "arn:aws:s3:::*"):
        return "anywhere in the bucket"
    if resource.startswith(base + "/"):
        rest = resource[len(base) + 1:]
        return f"under {rest[:-1]}" if rest.endswith("*") and "*" not in rest[:-1] else f"at {rest}"
    return f"on {resource}"


def view_of(bucket: str, text: str | None) -> PolicyView:
    """The PolicyView of a policy document as the server gave it (None or "": no policy)."""
    doc = loads(text) if text else None
    statements, public = summarize(bucket, doc)
    return PolicyView(bucket=bucket, policy=doc, summary=statements, public=public)


class Policies:
    """Bucket policy operations over one Context (`svc.policies()`)."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    def get(self, bucket: str) -> PolicyView:
        validate_bucket(bucket)
        return view_of(bucket, self.ctx.s3.governance.get_bucket_policy(bucket))

    def set(self, bucket: str, *, public_read: list[str] | None = None, public_write: list[str] | None = None,
            document: dict[str, Any] | None = None) -> PolicyView:
        """Replace the bucket's policy with `document`, or with the one the public flags build."""
        validate_bucket(bucket)
        if document is not None and (public_read or public_write):
            raise E.InvalidInputError("give --file or --public-read/--public-write, not both")
        if document is None:
            if not public_read and not public_write:
                raise E.InvalidInputError("nothing to set", hint="give --public-read PREFIX, --public-write PREFIX "
                                                                 "or --file policy.json")
            document = public_policy(bucket, public_read or [], public_write or [])
        check_policy(document)
        self._require(bucket)
        statements, public = summarize(bucket, document)
        with self.ctx.op("bucket_policy_set", bucket=bucket, forget=None, public=public,
                         summary=[s.text for s in statements]):
            self.ctx.s3.governance.set_bucket_policy(bucket, json.dumps(document))
        return PolicyView(bucket=bucket, policy=document, summary=statements, public=public)

    def remove(self, bucket: str) -> PolicyRemoved:
        """Delete the bucket's policy (none: nothing to do); says whether there was one, and if it was public."""
        before = self.get(bucket)
        if before.policy is not None:
            with self.ctx.op("bucket_policy_rm", bucket=bucket, forget=None, public=before.public):
                self.ctx.s3.governance.delete_bucket_policy(bucket)
        return PolicyRemoved(bucket=bucket, removed=before.policy is not None, was_public=before.public)

    def is_public(self, bucket: str) -> bool | None:
        """True when anonymous requests are allowed anything; None when the policy cannot be read."""
        try:
            return self.get(bucket).public
        except E.ClosedError:
            raise  # the caller's doing: not "unknown"
        except E.ItsStoreError:
            return None

    def _require(self, bucket: str) -> None:
        if not self.ctx.s3.bucket_exists(bucket):
            raise E.BucketNotFoundError(f"bucket not found: {bucket}")
