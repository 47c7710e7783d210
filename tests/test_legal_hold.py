"""Legal hold against real servers: `legal-hold on|off|show` (one key, a version, a prefix),
`upload --legal-hold`, deletes refused by a hold even with --bypass-governance, erasure of a prefix that
holds three held frames (the rest erased, the three named, exit 6), audit lines, and the
incident-42 example of docs/guides/evidence.md. The first and the erasure test run on all four servers
(`object_*` fixtures): SeaweedFS, moto, Ceph's RADOS Gateway, and `rclone serve s3`, which has no object
lock (exit 78 there)."""

from __future__ import annotations

import json

from conftest import one_line_error, unique
from helpers import audit_lines, list_versions, put_stdin, refused_without_lock


def _held(cli, target: str, *flags: str) -> bool:
    run = cli("legal-hold", "show", target, *flags, "--json")
    assert run.exit_code == 0, run
    return run.json()["legal_hold"]


def test_legal_hold_on_off_show_blocks_deletes_even_with_bypass(object_cli, object_env, object_locked, object_server):
    cli, env, locked = object_cli, object_env, object_locked
    if object_server.kind == "rclone":
        put_stdin(cli, locked, "h.jpg")
        for verb in ("on", "show", "off"):
            refused_without_lock(cli, "legal-hold", verb, f"s3://{locked}/h.jpg")
        assert cli("get", f"s3://{locked}/h.jpg", "-").stdout_bytes == b"frame"  # its content untouched
        assert not [e for e in audit_lines(env) if e["operation"].startswith("legal_hold")]
        return
    version = put_stdin(cli, locked, "h.jpg")
    assert _held(cli, f"s3://{locked}/h.jpg") is False
    run = cli("legal-hold", "on", f"s3://{locked}/h.jpg")
    assert run.exit_code == 0 and "legal hold on" in run.stderr, run
    assert _held(cli, f"s3://{locked}/h.jpg") is True
    assert "on" in cli("legal-hold", "show", f"s3://{locked}/h.jpg").stdout
    for flags in (("--version-id", version), ("--version-id", version, "--bypass-governance"),
                  ("--all-versions", "--yes", "--bypass-governance")):
        refused = cli("rm", f"s3://{locked}/h.jpg", *flags)
        assert refused.exit_code == 6, (flags, refused)
        assert "under legal hold" in refused.stderr
    assert [v["version_id"] for v in list_versions(cli, locked)] == [version]
    assert cli("legal-hold", "off", f"s3://{locked}/h.jpg").exit_code == 0
    assert _held(cli, f"s3://{locked}/h.jpg") is False
    assert cli("rm", f"s3://{locked}/h.jpg", "--version-id", version).exit_code == 0
    assert list_versions(cli, locked) == []
    ops = [(e["operation"], e["result"]) for e in audit_lines(env) if e["operation"].startswith("legal_hold")]
    assert ops == [("legal_hold_on", "ok"), ("legal_hold_off", "ok")]
    rms = [e for e in audit_lines(env) if e["operation"] == "rm" and e.get("version_id") == version]
    assert [(e["result"], e["error"]) for e in rms] == [("error", "object_locked"), ("error", "object_locked"),
                                                         ("ok", None)]


def test_legal_hold_of_one_version_and_upload_legal_hold_flag(cli, env, locked):
    old = put_stdin(cli, locked, "v.jpg", "--legal-hold")
    new = put_stdin(cli, locked, "v.jpg", data=b"newer")
    info = cli("stat", f"s3://{locked}/v.jpg", "--version-id", old, "--json").json()
    assert info["legal_hold"] is True
    # a version whose hold was never set: the HEAD says nothing (null), GET ?legal-hold says off
    assert cli("stat", f"s3://{locked}/v.jpg", "--json").json()["legal_hold"] is None
    assert _held(cli, f"s3://{locked}/v.jpg") is False
    assert "legal hold    on" in cli("stat", f"s3://{locked}/v.jpg", "--version-id", old).stdout
    assert cli("legal-hold", "on", f"s3://{locked}/v.jpg", "--version-id", new).exit_code == 0
    assert cli("legal-hold", "off", f"s3://{locked}/v.jpg", "--version-id", old).exit_code == 0
    assert _held(cli, f"s3://{locked}/v.jpg", "--version-id", old) is False
    assert _held(cli, f"s3://{locked}/v.jpg") is True


def test_erasure_of_a_prefix_with_three_held_frames_erases_the_rest_and_names_the_three(object_cli, object_locked,
                                                                                        object_server):
    cli, locked = object_cli, object_locked
    keys = [f"incidents/42/frame_{n:04d}.jpg" for n in range(10)]
    if object_server.kind == "rclone":
        refused_without_lock(cli, "upload", "-", f"s3://{locked}/{keys[0]}", "--legal-hold", input=b"f")
        refused_without_lock(cli, "legal-hold", "on", "-r", f"s3://{locked}/incidents/42/")
        return
    for key in keys:
        put_stdin(cli, locked, key)
    put_stdin(cli, locked, "incidents/43/other.jpg")
    held = keys[2:5]
    for key in held:
        assert cli("legal-hold", "on", f"s3://{locked}/{key}").exit_code == 0
    run = cli("rm", f"s3://{locked}/incidents/42/", "-r", "--all-versions", "--yes")
    assert run.exit_code == 6, run
    for key in held:
        assert f"not erased: s3://{locked}/{key}" in run.stderr and "under legal hold" in run.stderr
    assert run.stderr.count("not erased:") == 3
    assert "erased 7 objects" in run.stderr
    left = sorted(v["key"] for v in list_versions(cli, locked))
    assert left == sorted([*held, "incidents/43/other.jpg"])
    again = cli("rm", f"s3://{locked}/incidents/42/", "-r", "--all-versions", "--yes", "--json")
    assert again.exit_code == 6
    first = json.loads(again.stdout.splitlines()[0])
    assert sorted(e["key"] for e in first["errors"]) == held
    assert {e["code"] for e in first["errors"]} == {"object_locked"}
    assert first["versions"] == 0


def test_incident_42_hold_until_the_case_closes(cli, env, service, tmp_path):
    """The example of docs/guides/evidence.md: hold every frame of incident 42, then lift the hold when the
    case closes."""
    evidence = unique("evidence")
    assert cli("bucket", "create", f"s3://{evidence}", "--object-lock").exit_code == 0
    frames = tmp_path / "incident42"
    frames.mkdir()
    for n in range(4):
        (frames / f"frame_{n:04d}.jpg").write_bytes(b"jpeg %d" % n)
    assert cli("upload", str(frames), f"s3://{evidence}/incidents/42/", "-r").exit_code == 0
    run = cli("legal-hold", "on", "-r", f"s3://{evidence}/incidents/42/", "--json")
    assert run.exit_code == 0 and len(run.json()["changed"]) == 4, run
    refused = cli("rm", f"s3://{evidence}/incidents/42/", "-r", "--all-versions", "--yes")
    assert refused.exit_code == 6 and refused.stderr.count("not erased:") == 4
    assert refused.stderr.count("): object locked: under legal hold\n") == 4
    assert cli("legal-hold", "off", "-r", f"s3://{evidence}/incidents/42/").exit_code == 0
    done = cli("rm", f"s3://{evidence}/incidents/42/", "-r", "--all-versions", "--yes")
    assert done.exit_code == 0, done
    assert list_versions(cli, evidence) == []
    ops = [e["operation"] for e in audit_lines(env) if e["bucket"] == evidence and "legal_hold" in e["operation"]]
    assert ops == ["legal_hold_on"] * 4 + ["legal_hold_off"] * 4


def test_legal_hold_bad_targets(cli, env, locked, bucket):
    put_stdin(cli, bucket, "p.jpg")
    run = cli("legal-hold", "on", f"s3://{bucket}/p.jpg")
    assert run.exit_code == 78 and "has no object lock" in one_line_error(run)
    missing = cli("legal-hold", "on", f"s3://{locked}/nope.jpg")
    assert missing.exit_code == 3, missing
    one_line_error(missing)
    prefix = cli("legal-hold", "on", f"s3://{locked}/dir/")
    assert prefix.exit_code == 2 and "--recursive" in prefix.stderr
    both = cli("legal-hold", "on", "-r", f"s3://{locked}/dir/", "--version-id", "abc")
    assert both.exit_code == 2
    assert not [e for e in audit_lines(env) if e["operation"].startswith("legal_hold")]
