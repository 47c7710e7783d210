"""Attack on the library's scalar arguments (session 36): what a script passes where an int or a str is
typed (None, a str read from a config file, a float, NaN, a bool). Each reached int(), str.upper(), a
comparison, an enum or a regex deep inside and surfaced as TypeError, ValueError or AttributeError, none
of them an ItsStoreError: presign's expiry and method, disk_usage's depth, resolve_bucket's object type,
sync's locations, the registry's version reference and list limit. Now each is InvalidInputError (exit 2)
naming the argument, before any request."""

from __future__ import annotations

import math
from typing import Any

import pytest

from its_store import InvalidInputError, ModelRegistry


def _calls(service: Any, bucket: str, value: Any) -> dict[str, Any]:
    registry = ModelRegistry(service)
    return {
        "presign expiry": lambda: service.presign(bucket, "k", value),
        "generate_presigned_url expiry": lambda: service.generate_presigned_url(bucket, "k", value),
        "presign method": lambda: service.presign(bucket, "k", 60, value),
        "disk_usage depth": lambda: service.disk_usage(bucket, "", depth=value),
        "resolve_bucket object_type": lambda: service.resolve_bucket(None, value),
        "sync source": lambda: service.sync(value, f"s3://{bucket}/s/"),
        "sync dest": lambda: service.sync(f"s3://{bucket}/s/", value),
        "resolve ref": lambda: registry.resolve("m", value),
        "list_models limit": lambda: registry.list_models(None, limit=value),
    }


@pytest.mark.parametrize("value", [None, "3600x", 2.5, math.nan, b"GET", 5], ids=repr)
def test_a_scalar_of_the_wrong_kind_is_invalid_input(service: Any, bucket: str, value: Any) -> None:
    failed = {}
    for name, call in _calls(service, bucket, value).items():
        if value is None and name in ("resolve ref", "list_models limit", "generate_presigned_url expiry"):
            continue  # None means latest / no limit there; the expiry's default is given by leaving it out
        if isinstance(value, str) and name in ("sync source", "sync dest", "resolve ref"):
            continue  # a str is what belongs there (a folder named so, an alias)
        if value == 2.5 and "expiry" in name:
            continue  # a float of seconds (timedelta.total_seconds()) is taken, as it always was
        if value == 5 and name in ("presign expiry", "generate_presigned_url expiry", "disk_usage depth",
                                   "list_models limit"):
            continue  # an int where an int belongs
        try:
            call()
        except InvalidInputError:
            pass
        except Exception as exc:  # noqa: BLE001 - what leaked is the finding
            failed[name] = f"{type(exc).__name__}: {str(exc)[:80]}"
        else:
            failed[name] = "no error"
    assert failed == {}
