"""The JSON text of a result model, written field by field where that is exactly what pydantic would write.

`--json` prints `json.dumps(model.model_dump(mode="json"), ensure_ascii=False)` of every result
(cli/output.to_jsonable). For a listing that is one model per key, and the dump (a dict built by
pydantic-core) plus the encoder's walk over it cost ~9 µs a key, more than reading the key from the page.
A flat model (fields that are str, int, bool, None, finite float or an aware/naive datetime) is written
here straight from its field values, with the encoder's own string escaping (json.encoder.encode_basestring,
the C function `json.dumps(..., ensure_ascii=False)` uses) and pydantic's own text for a datetime (asked
once per distinct value): the same characters, field for field, in the same order (~2 µs a key). A model
whose fields hold the same types as the one before (a listing: thirteen None, the same five set) is
written by a function made once for that pattern of types (source generated here, as dataclasses and
namedtuple make theirs): its constant text joined with the encodings of the values that are set.

Anything else falls back to the dump: a value of any other type (a dict, an enum, a nested model, a str
or int subclass), a class that customizes its serialization (serializers, computed fields, aliases,
excluded fields, json_encoders, its own model_dump), a model carrying extra fields and one built without
a field (model_construct). tests/test_jsontext.py holds the
two ways equal over hostile values.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from json.encoder import encode_basestring as _string
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["dump_line"]

Plan = tuple[tuple[str, str, str, frozenset[type]], ...]
Template = Callable[[dict[str, Any]], str | None]
_WRITTEN = frozenset({str, int, bool, float, datetime})  # the value types _flat writes itself
_PLANS: dict[type, Plan | None] = {}
_TEMPLATES: dict[tuple[type, tuple[type, ...]], Template | None] = {}
_LAST: dict[type, Template] = {}
_TEMPLATES_MAX = 1024
_DATES: dict[datetime, str] = {}  # UTC datetimes as pydantic writes them (a listing repeats a few seconds)
_DATES_MAX = 4096
_ENCODE = json.JSONEncoder(ensure_ascii=False, check_circular=False).encode  # the fallback, one encoder


def dump_line(model: BaseModel) -> str:
    """`json.dumps(model.model_dump(mode="json"), ensure_ascii=False)`, by the short way when it is the
    same text (see the module docstring)."""
    cls = type(model)
    writer = _LAST.get(cls)  # the writer of the pattern of types the class had last (a listing: always)
    if writer is not None and not model.__pydantic_extra__:  # only a class with a plan has one
        text = writer(model.__dict__)
        if text is not None:
            return text
    try:
        plan = _PLANS[cls]
    except KeyError:
        plan = _PLANS[cls] = _plan(cls)
    if plan is not None and not model.__pydantic_extra__:
        values = model.__dict__
        text = None
        writer = _writer(cls, values, plan)
        if writer is not None:
            _LAST[cls] = writer
            text = writer(values)
        if text is None:
            text = _flat(values, plan)
        if text is not None:
            return text
    dump = getattr(model, "model_dump", None)
    if dump is None:
        raise TypeError(f"--json prints result models, not {cls.__name__}")
    return _ENCODE(dump(mode="json"))


def _plan(cls: type) -> Plan | None:
    """Per field in field order: its name, its JSON key and separator, the same with null, and the types a
    value may have to be written here: those its annotation names (pydantic writes a value by the declared
    type: an int in a float field is 3.0, so that one goes the long way). None when pydantic's dump of
    `cls` may be more than its field values: serializers, computed fields, aliases, excluded fields,
    metadata on a field (an Annotated serializer lives there), json_encoders, a field's exclude_if, or a
    model_dump of its own."""
    from pydantic import BaseModel
    if not isinstance(cls, type) or not issubclass(cls, BaseModel) or cls.model_dump is not BaseModel.model_dump:
        return None
    decorators = cls.__pydantic_decorators__
    if decorators.field_serializers or decorators.model_serializers or cls.model_computed_fields:
        return None
    config = cls.model_config
    if config.get("serialize_by_alias") or config.get("ser_json_temporal", "iso8601") != "iso8601" \
            or config.get("json_encoders"):
        return None
    plan = []
    for name, info in cls.model_fields.items():
        if info.metadata or info.alias or info.serialization_alias or info.exclude \
                or getattr(info, "exclude_if", None) is not None:
            return None
        head = _string(name) + ": "
        plan.append((name, head, head + "null", _declared(info.annotation)))
    return tuple(plan)


def _declared(annotation: Any) -> frozenset[type]:
    """The types of _WRITTEN that `annotation` names itself (`str | None` -> {str}; `dict[str, str]` -> {})."""
    from typing import get_args
    names = get_args(annotation) or (annotation,)
    return frozenset(kind for kind in names if kind in _WRITTEN)


def _writer(cls: type, values: dict[str, Any], plan: Plan) -> Template | None:
    """The writer of the pattern of types `values` hold (made once per pattern), or None: a field is
    missing (model_construct), a value of a type _flat does not write, or a float (its text depends on its
    value): _flat decides those value by value."""
    kinds = tuple(type(values.get(name, _flat)) for name, *_ in plan)
    try:
        return _TEMPLATES[cls, kinds]
    except KeyError:
        pass
    writer = _TEMPLATES[cls, kinds] = _template(kinds, plan)
    if len(_TEMPLATES) > _TEMPLATES_MAX:
        _TEMPLATES.clear()
    return writer


def _template(kinds: tuple[type, ...], plan: Plan) -> Template | None:
    """A function writing the line of values with these types, or None when the pattern is not one it
    writes. It reads every field by name (a KeyError is a model built without one; a subscript of a dict
    by a str constant is specialized by the interpreter, cheaper than one operator.itemgetter call for all
    of them: measured) and checks every value's type first, returning None if one differs (the next model
    may hold others): its constant text and the encodings of the values that are set, in one f-string (no
    tuple, no join call). A None field is checked by identity (`is not None`: no __eq__ of a value is
    asked, unlike a comparison of a tuple of values with a tuple of Nones). A UTC datetime's text is looked up
    in _DATES in line (a listing repeats the same date object, whose hash is kept), any other goes through
    _date. The generated source names no value: constants and encoders are handed in (c0.., e0..)."""
    scope: dict[str, Any] = {"D": _DATES, "U": UTC}
    reads, checks, parts = [], [], []
    text = "{"
    for at, ((name, head, null, allowed), kind) in enumerate(zip(plan, kinds, strict=True)):
        reads.append(f"x{at} = v[{name!r}]")
        if kind is type(None):
            checks.append(f"x{at} is not None")
            text += null + ", "
            continue
        if kind not in allowed or kind is float:
            return None
        scope[f"c{at}"], scope[f"e{at}"], scope[f"t{at}"] = text + head, _ENCODERS[kind], kind
        checks.append(f"type(x{at}) is not t{at}")
        if kind is datetime:
            parts.append(f"{{c{at}}}{{(x{at}.tzinfo is U and D.get(x{at})) or e{at}(x{at})}}")
        else:
            parts.append(f"{{c{at}}}{{e{at}(x{at})}}")
        text = ", "
    scope["tail"] = text.removesuffix(", ") + "}"
    source = ["def write(v):", "    try:", *(f"        {read}" for read in reads), "    except KeyError:",
              "        return None", f"    if {' or '.join(checks) or 'False'}:", "        return None",
              f"    return f'{''.join(parts)}{{tail}}'"]  # one BUILD_STRING of str pieces: no tuple
    exec("\n".join(source), scope)
    return scope["write"]  # type: ignore[no-any-return]


def _flat(values: dict[str, Any], plan: Plan) -> str | None:
    """The JSON object of `values` in plan order, or None at the first value this does not write."""
    parts: list[str] = []
    add = parts.append
    for name, head, null, kinds in plan:
        try:
            value = values[name]
        except KeyError:  # a model_construct without it: the dump leaves it out
            return None
        if value is None:  # most fields of a listed object
            add(null)
            continue
        kind = type(value)
        if kind not in kinds:
            return None
        if kind is str:
            add(head + _string(value))
        elif kind is int:
            add(head + str(value))  # an int, not a subclass: its digits
        elif kind is bool:
            add(head + ("true" if value else "false"))
        elif kind is datetime:
            add(head + _date(value))
        elif math.isfinite(value):  # a float
            add(head + float.__repr__(value))
        else:
            return None
    return "{" + ", ".join(parts) + "}"


def _date(value: datetime) -> str:
    """A datetime as pydantic writes it ("2026-12-06T17:20:13Z"), JSON-quoted. UTC ones are remembered
    (keyed by value, which is only safe for one time zone: equal instants in two zones are equal keys)."""
    if value.tzinfo is not UTC:
        return _string(_pydantic_text(value))
    text = _DATES.get(value)
    if text is None:
        if len(_DATES) >= _DATES_MAX:
            _DATES.clear()
        text = _DATES[value] = _string(_pydantic_text(value))
    return text


_ENCODERS: dict[type, Callable[[Any], str]] = {
    str: _string, int: str, bool: {True: "true", False: "false"}.__getitem__, datetime: _date}


def _pydantic_text(value: datetime) -> str:
    from pydantic_core import to_jsonable_python
    return str(to_jsonable_python(value))
