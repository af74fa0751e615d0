"""Text from a request that PostgreSQL, JSON encoders or a log file cannot take as is (issue 10).

PostgreSQL text refuses NUL, UTF-8 encoders refuse lone surrogates (JSON allows `"\\ud800"`), Python's JSON
parser recurses per nesting level and refuses integers over 4,300 digits, and a raw newline or escape sequence
from a URL forges log lines. Requests are checked here at the edge so each of these is a 4xx, never a 500."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable
from typing import Any

from conduit_server.domain.errors import ApiError, ValidationFailed

MAX_JSON_DEPTH = 32  # objects/arrays inside each other; real bodies need 5

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


def text_problem(value: str) -> str | None:
    """Why `value` cannot be stored as text, or None."""
    found = _UNSTORABLE.search(value)
    if found is None:
        return None
    return "must not contain NUL characters" if found.group() == "\x00" else "must be valid Unicode text"


def for_log(value: str) -> str:
    """`value` with control characters and lone surrogates escaped (`\\n`, `\\x1b`, `\\ud800`): a log line stays
    one line of our own, and the text can be encoded wherever it goes."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), value)


def check_params(items: Iterable[tuple[str, str]]) -> None:
    """422 `validation_error` for a path or query value that cannot be stored."""
    issues = [(name, problem) for name, value in items if (problem := text_problem(value))]
    if issues:
        raise ValidationFailed(issues)


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body: 400 `bad_request` for what is not JSON we accept (syntax, nesting deeper than
    MAX_JSON_DEPTH, numbers too long or too large), 422 `validation_error` for strings or keys that cannot be
    stored (NUL, lone surrogates)."""
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except RecursionError:
        raise _malformed(f"nesting deeper than {MAX_JSON_DEPTH} levels") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, integers over 4,300 digits, constants
        raise _malformed(str(exc)) from exc
    _check_tree(value)
    return value


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _malformed(reason: str) -> ApiError:
    return ApiError(f"Malformed JSON body: {reason}", code="bad_request", status=400)


def _check_tree(root: Any) -> None:
    """Walk the parsed body without recursion: nesting depth, finite numbers, storable strings and keys."""
    issues: list[tuple[str, str]] = []
    stack: list[tuple[Any, str, int]] = [(root, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _malformed(f"nesting deeper than {MAX_JSON_DEPTH} levels")
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in pairs:
                child = f"{path}.{key}" if path else str(key)
                if isinstance(key, str) and (problem := text_problem(key)):
                    issues.append((for_log(child), f"key {problem}"))
                    continue
                stack.append((item, child, depth + 1))
        elif isinstance(value, float) and not math.isfinite(value):
            raise _malformed(f"the number at {for_log(path) or 'the top level'} is out of range")
        elif isinstance(value, str) and (problem := text_problem(value)):
            issues.append((for_log(path), problem))
    if issues:
        raise ValidationFailed(sorted(issues))
