"""Session 34 review (rev3): a key ending in a backslash is read by SeaweedFS as the folder key ending in '/'.

core/refs.merged_form took 'd\\' for 'd' (the trailing backslash dropped as an empty segment, the '/' it
stands for forgotten), so heads.not_another compared the HEAD of s3://B/d\\ (which SeaweedFS answers with the
object s3://B/d/) with the HEAD of s3://B/d (none): "not another", and `rm s3://B/d\\` deleted s3://B/d/,
exit 0, "deleted s3://B/d\\". Its merged form is now 'd/': not found (exit 3), s3://B/d/ kept.
"""

from __future__ import annotations

from typing import Any

from its_store.core.refs import merged_form

from conftest import one_line_error, unique


def test_the_merged_form_of_a_trailing_backslash_is_a_folder_key() -> None:
    assert merged_form("d\\") == "d/" and merged_form("a/b\\") == "a/b/" and merged_form("d\\\\") == "d/"
    assert merged_form("d/") == "d/" and merged_form("d\\f") == "d/f" and merged_form("d") == "d"


def test_rm_of_a_trailing_backslash_key_does_not_delete_the_folder_object(cli: Any, service: Any) -> None:
    bucket = unique("rv")
    service.s3.make_bucket(bucket)
    service.s3.put(bucket, "d/", b"", {})
    run = cli("rm", f"s3://{bucket}/d\\")
    assert run.exit_code == 3 and "not found" in one_line_error(run), run
    assert [o.key for o in service.s3.list_objects(bucket, "", recursive=True)] == ["d/"]
