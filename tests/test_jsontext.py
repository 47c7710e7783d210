"""cli/jsontext.dump_line (issue 22 W6): a listing's JSON line written straight from the model's fields must
be, character for character, what `json.dumps(model.model_dump(mode="json"), ensure_ascii=False)` writes;
whatever it does not write itself (a dict, an enum, a subclass of str or int, a class with its own
serialization, a model with extra fields) goes the long way. No server: models built in the test."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict, Field, computed_field, field_serializer

from its_store.cli.jsontext import _plan, dump_line
from its_store.core.models import BucketInfo, DeleteResult, ObjectInfo, ObjectType

HOSTILE_KEYS = [
    "", "plain/key.jpg", "a b+c%41", "..", "../../etc/passwd", "q\"uote\\back", "ctl" + "".join(map(chr, range(32))),
    "del\x7f c1\x85\x9b", "sep\u2028\u2029", "bidi\u202e\u2066", "lone\ud800sur\udfff", "astral\U0001f600",
    "nul\x00", "é☃", "k" * 4096, "</Key><Key>", "\ufffd",
]
DATES = [
    datetime(2026, 12, 6, 20, 14, 43, tzinfo=UTC), datetime(2026, 12, 6, 20, 14, 43, 120000, tzinfo=UTC),
    datetime(2026, 12, 6, 20, 14, 43, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC),
    datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC), datetime(2026, 1, 2, 3, 4, 5),
    datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=timezone(timedelta(hours=2))),
    datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone(timedelta(hours=-5, minutes=-30))),
]


def long_way(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), ensure_ascii=False)


def listed(**values: Any) -> ObjectInfo:
    return ObjectInfo.listed(**{"bucket": "b", "key": "k", **values})


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_a_listed_key_is_written_as_the_dump_writes_it(key: str) -> None:
    info = listed(key=key, size=100, etag="aed563ecafb4bcc5654c597a421547b2", last_modified=DATES[0])
    assert dump_line(info) == long_way(info)
    assert json.loads(dump_line(info))["key"] == key  # and reads back exactly
    prefix = listed(key=key + "/", is_prefix=True, bucket=key)
    assert dump_line(prefix) == long_way(prefix)


def test_dates_numbers_and_flags_are_written_as_pydantic_writes_them() -> None:
    for date in DATES:
        for info in (listed(last_modified=date), listed(retain_until=date, legal_hold=True),
                     ObjectInfo(bucket="b", key="k", last_modified=date)):
            assert dump_line(info) == long_way(info), date
        assert dump_line(listed(last_modified=date)) == dump_line(listed(last_modified=date))  # remembered: same
    for size in (0, 1, -1, 2**63, 10**30):
        assert dump_line(listed(size=size)) == long_way(listed(size=size))
    for ratio in (1.5, 0.1, 1e300, 2.0, 3, math.nan, math.inf, -math.inf):  # 3: an int in a float field
        info = listed(compression_ratio=ratio, original_size=7)
        assert dump_line(info) == long_way(info), ratio
    for flag in (True, False):
        assert dump_line(listed(is_prefix=flag, legal_hold=flag)) == long_way(listed(is_prefix=flag, legal_hold=flag))
    assert dump_line(listed(size=True)) == long_way(listed(size=True))  # a bool where an int is declared


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_values_it_does_not_write_go_the_long_way() -> None:
    class Text(str):
        pass

    for info in (listed(metadata={"a\n": "b\x00"}, tags={}), listed(object_type=ObjectType.OTHER),
                 listed(key=Text("sub")), listed(last_modified=datetime(2026, 1, 1).date()),
                 ObjectInfo(bucket="b", key="k", size=5, object_type=next(iter(ObjectType)).value,
                            metadata={"x": "y"})):
        assert dump_line(info) == long_way(info)


def test_other_results_and_models_with_their_own_serialization() -> None:
    class Custom(BaseModel):
        name: str
        when: datetime

        @field_serializer("when")
        def _when(self, value: datetime) -> str:
            return "custom"

    class Computed(BaseModel):
        name: str

        @computed_field  # type: ignore[prop-decorator]
        @property
        def size(self) -> int:
            return 3

    class Aliased(BaseModel):
        model_config = ConfigDict(serialize_by_alias=True)
        name: str = Field(serialization_alias="Name")

    class Extra(BaseModel):
        model_config = ConfigDict(extra="allow")
        name: str

    class Hidden(BaseModel):
        name: str
        secret: str = Field(exclude=True)

    for model in (Custom(name="n", when=DATES[0]), Computed(name="n"), Aliased(name="n"), Hidden(name="n", secret="s")):
        assert _plan(type(model)) is None
        assert dump_line(model) == long_way(model)
    for model in (Extra(name="n", more="\u2028"), BucketInfo(name="b", created=DATES[1]), BucketInfo(name="b"),
                  DeleteResult(bucket="b", key="lone\ud800", error="x\ny")):
        assert dump_line(model) == long_way(model)


def test_what_is_no_model_is_refused() -> None:
    with pytest.raises(TypeError, match="result models"):
        dump_line({"a": 1})  # type: ignore[arg-type]


def test_the_human_time_is_strftime_in_every_zone() -> None:
    """cli/output.fmt_time remembers UTC times by value: an equal instant in another zone shows its own."""
    from its_store.cli.output import fmt_time
    for date in DATES:
        for _ in range(2):
            assert fmt_time(date) == date.strftime("%Y-%m-%d %H:%M:%S")
    utc = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert fmt_time(utc) == "2026-01-02 03:04:05"
    assert fmt_time(utc.astimezone(timezone(timedelta(hours=2)))) == "2026-01-02 05:04:05"
    assert fmt_time(None) == ""


@pytest.mark.filterwarnings("ignore:`json_encoders` is deprecated:DeprecationWarning")  # deprecated, still honoured
def test_config_and_fields_that_change_the_dump_and_a_model_missing_a_field_go_the_long_way() -> None:
    """json_encoders (still honoured by pydantic 2 in mode="json"), a field's exclude_if, and a model built
    with model_construct without a required field: each dump differs from the field values (or lacks one)."""
    class Encoded(ObjectInfo):
        model_config = ConfigDict(json_encoders={datetime: lambda _: "then"})

    class Excluded(BaseModel):
        kept: int = 1
        dropped: int = Field(default=1, exclude_if=lambda value: value == 1)

    for model in (Encoded(bucket="b", key="k", last_modified=DATES[0]), Excluded(),
                  ObjectInfo.model_construct(bucket="b")):
        assert dump_line(model) == long_way(model), type(model)


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_a_writer_made_for_one_pattern_of_types_writes_no_other() -> None:
    """dump_line keeps one generated writer per pattern of value types and tries the class's last one
    first: models of one class whose values change type from one to the next (an object, a prefix, a set
    flag, a dict, a str subclass, a float, a field missing) are each written as the dump writes them."""
    class Text(str):
        pass

    date = DATES[0]
    sequence = [listed(size=1, etag="e", last_modified=date), listed(key="p/", is_prefix=True),
                listed(size=1, etag="e", last_modified=date, legal_hold=True), listed(content_type="image/jpeg"),
                listed(metadata={"a": "b"}), listed(key=Text("sub")), listed(compression_ratio=0.5),
                listed(compression_ratio=math.nan), ObjectInfo.model_construct(bucket="b"),
                listed(size=True), listed(size=1, etag="e", last_modified=DATES[5]),
                listed(size=1, etag="e", last_modified=date)]
    for _ in range(2):  # the second time every pattern's writer is remembered
        for info in sequence:
            assert dump_line(info) == long_way(info), info


class _SaysNone(str):
    """A str that claims to equal None (and everything): a writer comparing with == would write it as null."""

    def __eq__(self, other: object) -> bool:
        return True

    __hash__ = str.__hash__


@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings")
def test_the_remembered_writer_over_hostile_values_in_a_listing_pattern() -> None:
    """The listing's writer (made once for a pattern: five fields set, thirteen None) reads all fields at
    once and checks None by identity, writes ints by their digits and finds a UTC date's text in line: each
    model of a repeated pattern is written as the dump writes it, whatever the values (control characters,
    U+2028, lone surrogates, huge and negative ints, dates with and without microseconds, in UTC, other
    zones and naive, an instant equal to a remembered UTC one in another zone, a value in a None field
    that says it equals None, None and set fields mixed)."""
    keys = [*HOSTILE_KEYS, "ctl\x01\x1f\x7f", "\u2028\u2029", "\ud800", "\udfff\ud800", "\U0010ffff"]
    sizes = [0, 1, -1, 2**31, 2**63 - 1, 2**64, 10**30, -(10**40), 10**4000]
    utc = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    dates = [*DATES, utc, utc.replace(microsecond=7), utc.astimezone(timezone(timedelta(hours=2))),
                     utc.astimezone(timezone(timedelta(hours=2))).replace(microsecond=7), utc.replace(tzinfo=None)]
    for round_ in range(2):
        for at, key in enumerate(keys * 2):
            for date in (dates[at % len(dates)], utc):
                info = listed(key=key, bucket=keys[-1 - at % len(keys)], size=sizes[at % len(sizes)], etag=key[::-1],
                              last_modified=date)
                assert dump_line(info) == long_way(info), (round_, key, date)
        for extra in ({"content_type": "\u2028"}, {"version_id": "lone\ud800"}, {"legal_hold": False},
                      {"original_size": 10**30}, {"retain_until": utc}, {"sha256": ""}):
            info = listed(key="k", size=1, etag="e", last_modified=utc, **extra)
            assert dump_line(info) == long_way(info), extra
        liar = listed(key="k", size=1, etag="e", last_modified=utc)
        assert dump_line(liar) == long_way(liar)  # its pattern's writer is now the class's last
        object.__setattr__(liar, "content_type", _SaysNone("set"))  # not None, though it says ==
        assert '"content_type": "set"' in dump_line(liar)
        assert dump_line(liar) == long_way(liar)
