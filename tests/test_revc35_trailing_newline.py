"""A name with a trailing newline is no valid name: `$` in a `re.match` pattern also matches just before a final
'\\n', so 'abc\\n' passed the bucket rule, 'm\\n' the model-name rule, a sha256 with '\\n' the manifest's, and so
on (revc, session 35). Each rule now ends its pattern with `\\Z`."""

from __future__ import annotations

import pytest

from its_store.core import errors as E
from its_store.core.refs import validate_bucket
from its_store.registry import refs, validate, variants

CHECKS = [
    (validate_bucket, "frames"),
    (validate_bucket, "frames-01"),
    (refs.validate_name, "detector"),
    (refs.validate_alias, "production"),
    (refs.validate_variant, "onnx"),
]


@pytest.mark.parametrize(("check", "good"), CHECKS, ids=lambda v: getattr(v, "__name__", v))
def test_a_trailing_newline_is_refused(check, good):
    assert check(good) == good
    for bad in (good + "\n", good + "\r\n"):
        with pytest.raises(E.InvalidInputError):
            check(bad)


def test_a_manifest_sha256_with_a_trailing_newline_is_refused():
    digest = "a" * 64
    assert validate.sha256(digest, "files[0].sha256") == digest
    assert not validate.is_sha256(digest + "\n")
    with pytest.raises(validate.Invalid):
        validate.sha256(digest + "\n", "files[0].sha256")


def test_a_variant_engine_target_with_a_trailing_newline_is_none():
    assert variants.engine_target("trt-sm89-trt10.3") is not None
    assert variants.engine_target("trt-sm89-trt10.3\n") is None


def test_bucket_create_of_a_name_with_a_newline_is_exit_2_and_creates_nothing(cli):
    result = cli("bucket", "create", "revc-nl\n")
    assert result.exit_code == 2, result.stderr
    assert "invalid bucket name" in result.stderr
    listed = cli("bucket", "ls", "--json")
    assert listed.exit_code == 0, listed.stderr
    assert "revc-nl" not in listed.stdout


def test_a_lifecycle_rule_id_with_a_final_newline_is_exit_2_before_any_request(cli, bucket):
    run = cli("bucket", "lifecycle", "set", f"s3://{bucket}", "--id", "expire-tmp\n", "--prefix", "tmp/",
              "--expire-days", "3")
    assert run.exit_code == 2, (run.stdout, run.stderr)
    assert "invalid lifecycle rule id" in run.stderr
