"""Session 35 review (revb): a relay's Complete answered NoSuchUpload is read back with the SSE-C key too.

fix2 made the HEAD that tells whether a Complete answered NoSuchUpload (a proxy re-sent a POST that had
succeeded) made the object carry the upload's SSE-C key (s3/multipart.complete_multipart's `head`) for
uploads. A copy between endpoints (transfer/relay.py) writes through codec/encryption.KeyedS3, whose
complete_multipart was the client's own, with no key: SeaweedFS answered that HEAD 400 and a copy stored whole
was an error ('not found', exit 3).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from faultproxy import FaultProxy
from test_encryption import new_key
from test_s35_complete_resent import _gone, _is_complete
from test_xcopy import context_on, put

from its_store.service.xcopy import CrossOptions, copy_object

from conftest import SMALL_THRESHOLD as T
from conftest import unique
from helpers import random_bytes


def test_a_relayed_sse_c_object_answered_no_such_upload_is_a_success(service: Any, second_seaweed: Any,
                                                                     tmp_path: Path) -> None:
    src = service.ctx
    sb, db = unique("rs"), unique("rd")
    src.s3.make_bucket(sb)
    data = random_bytes(3 * T, 41)
    put(src, sb, "clip.mp4", data, part_size=T)
    key_file = tmp_path / "sse.key"
    new_key(key_file)
    proxy = FaultProxy(int(second_seaweed.endpoint.rsplit(":", 1)[1]),
                       replace_answer=lambda seen: _gone() if _is_complete(seen) else None).start()
    via = context_on(proxy.endpoint, second_seaweed.access_key, second_seaweed.secret_key, tmp_path / "state")
    try:
        via.s3.make_bucket(db)
        done = copy_object(src, sb, "clip.mp4", via, db, "clip.mp4",
                           CrossOptions(part_size=T, workers=1, sse="c", sse_c_key_file=key_file,
                                        source_sse_c_key_file=None))
        assert proxy.counters.replaced == 1
    finally:
        proxy.stop()
        via.close()
    assert done.size == len(data) and done.parts == 3, done
