"""JSON written by someone else (a server's answer, a state file, a file the user names): one decode
whose every failure is a json.JSONDecodeError (a ValueError), so that the one `except` each caller
already has covers it.

json.loads fails three ways on hostile text: JSONDecodeError for bad JSON, a plain ValueError for an
integer beyond Python's digit limit (sys.get_int_max_str_digits, 4,300 digits) and for bad UTF-8 in
bytes, and RecursionError for nesting deeper than the interpreter's stack (`[` x 100,000). A caller that
catches ValueError let the last through as an unexpected error (a traceback on a Tab press, exit 1 with
"unexpected RecursionError"). Registry documents have their own decode (registry/validate.decode: an
integrity error naming the document).
"""

from __future__ import annotations

import json
from typing import Any


def loads(data: str | bytes) -> Any:
    """json.loads, raising only json.JSONDecodeError on any input it cannot read."""
    try:
        return json.loads(data)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply", "", 0) from None
    except UnicodeDecodeError:
        raise json.JSONDecodeError("not UTF-8", "", 0) from None
    except ValueError:  # the integer digit limit: its message quotes the limit, not the text
        raise json.JSONDecodeError("holds a number too long to read", "", 0) from None


# The deepest JSON a reader hands on (registry documents, audit lines, policies): far beyond anything
# its-store or S3 writes (a few levels), far below what copy.deepcopy and pydantic take (~250 levels).
MAX_DEPTH = 64


def nests_deeper(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether `value` holds lists or objects more than `limit` levels deep (the value itself is level 1).
    json.loads takes ~1,000 levels, but copy.deepcopy (two Python frames a level) and pydantic (its own
    validation and serialization depth limits) fail long before: a reader that hands a parsed document on
    checks it here first. A walk with a stack of its own, so that the check is no recursion itself."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        inner = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        for sub in inner:
            if isinstance(sub, (dict, list)):
                if depth >= limit:
                    return True
                stack.append((sub, depth + 1))
    return False
