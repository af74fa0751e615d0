"""Typed readers for response JSON; every failure is ConduitError(code="invalid_response")."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

from ._errors import ConduitError

T = TypeVar("T")
INVALID = "invalid_response"


def fail(message: str) -> ConduitError:
    return ConduitError(message, code=INVALID)


def mapping(value: object, name: str) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return cast("Mapping[str, object]", value)
    raise fail(f"Invalid {name}: expected object")


def opt_mapping(value: object, name: str) -> Mapping[str, object] | None:
    return None if value is None else mapping(value, name)


def string(value: object, name: str) -> str:
    if isinstance(value, str):
        return value
    raise fail(f"Invalid {name}: expected string")


def opt_string(value: object, name: str) -> str | None:
    return None if value is None else string(value, name)


def number(value: object, name: str) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise fail(f"Invalid {name}: expected number")


def opt_number(value: object, name: str) -> float | None:
    return None if value is None else number(value, name)


def integer(value: object, name: str) -> int:
    return int(number(value, name))


def opt_integer(value: object, name: str) -> int | None:
    return None if value is None else integer(value, name)


def boolean(value: object, name: str) -> bool:
    if isinstance(value, bool):
        return value
    raise fail(f"Invalid {name}: expected boolean")


def opt_boolean(value: object, name: str) -> bool | None:
    return None if value is None else boolean(value, name)


def as_dict(value: object, name: str) -> dict[str, Any]:
    return {str(k): v for k, v in mapping(value, name).items()}


def opt_dict(value: object, name: str) -> dict[str, Any] | None:
    return None if value is None else as_dict(value, name)


def items(value: object, name: str, parse: Callable[[object], T]) -> list[T]:
    if not isinstance(value, list):
        raise fail(f"Invalid {name}: expected array")
    return [parse(item) for item in cast("list[object]", value)]


def strings(value: object, name: str) -> list[str]:
    return items(value, name, lambda item: string(item, f"{name}[]"))


def first(data: Mapping[str, object], *keys: str) -> object:
    for key in keys:
        if key in data:
            return data[key]
    return None
