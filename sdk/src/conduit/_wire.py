"""``from_wire``: build any response dataclass from camelCase wire JSON, driven by its type hints.

One reader instead of a hand-written parser per model, so a new field is one annotated line. Wire names follow
snake_case -> camelCase unless a field says otherwise in ``field(metadata=...)``:

- ``"wire"``: the wire name, or a tuple of names tried in order (first present wins);
- ``"wire_default"``: a zero-argument factory used when the key is absent, for fields the Python constructor still
  requires.

Unknown wire keys are ignored (forward compatible). An absent key takes the field's default, else ``None`` when the
type allows it; anything else that does not fit raises ``ConduitError(code="invalid_response")``.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Callable
from typing import Any, Literal, TypeVar, cast

from ._errors import ConduitError
from ._parse import as_dict, boolean, fail, mapping, number, string

T = TypeVar("T")
_MISSING: Any = dataclasses.MISSING


def camel(name: str) -> str:
    """``credits_net_used`` -> ``creditsNetUsed``."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclasses.dataclass(frozen=True, slots=True)
class _Field:
    name: str
    wire_names: tuple[str, ...]
    hint: Any
    absent: Callable[[], object] | None  # None: the field is required on the wire


def _absent_value(spec: dataclasses.Field[Any], hint: Any) -> Callable[[], object] | None:
    factory = spec.metadata.get("wire_default")
    if factory is not None:
        return cast("Callable[[], object]", factory)
    if spec.default is not _MISSING:
        default = spec.default
        return lambda: default
    if spec.default_factory is not _MISSING:
        return cast("Callable[[], object]", spec.default_factory)
    if type(None) in typing.get_args(hint):
        return lambda: None
    return None


_PLANS: dict[type, tuple[_Field, ...]] = {}


def _plan(cls: type) -> tuple[_Field, ...]:
    """The fields of ``cls`` with their wire names and hints, resolved once per class."""
    cached = _PLANS.get(cls)
    if cached is not None:
        return cached
    hints = typing.get_type_hints(cls)
    plan = []
    for spec in dataclasses.fields(cls):
        if not spec.init:
            continue
        wire = spec.metadata.get("wire", camel(spec.name))
        names = (wire,) if isinstance(wire, str) else tuple(wire)
        hint = hints[spec.name]
        plan.append(_Field(spec.name, names, hint, _absent_value(spec, hint)))
    _PLANS[cls] = result = tuple(plan)
    return result


def _dataclass(cls: type[T], value: object, path: str) -> T:
    data = mapping(value, path)
    kwargs: dict[str, object] = {}
    for item in _plan(cls):
        key = next((name for name in item.wire_names if name in data), None)
        if key is not None:
            kwargs[item.name] = _convert(item.hint, data[key], f"{path}.{key}")
        elif item.absent is not None:
            kwargs[item.name] = item.absent()
        else:
            raise fail(f"Invalid {path}.{item.wire_names[0]}: required field is missing")
    return cls(**kwargs)


def _sequence(value: object, path: str) -> list[object]:
    if not isinstance(value, list):
        raise fail(f"Invalid {path}: expected array")
    return cast("list[object]", value)


def _union(args: tuple[Any, ...], value: object, path: str) -> object:
    if value is None and type(None) in args:
        return None
    options = [arg for arg in args if arg is not type(None)]
    for option in options[:-1]:
        try:
            return _convert(option, value, path)
        except ConduitError:
            continue
    return _convert(options[-1], value, path)


def _literal(args: tuple[Any, ...], value: object, path: str) -> object:
    if value in args:
        return value
    raise fail(f"Invalid {path}: expected one of {', '.join(map(repr, args))}")


def _enum(cls: type[enum.Enum], value: object, path: str) -> enum.Enum:
    try:
        return cls(value)
    except ValueError:
        raise fail(f"Invalid {path}: expected one of {', '.join(repr(m.value) for m in cls)}") from None


def _convert(hint: Any, value: object, path: str) -> object:
    """``value`` read as ``hint``; containers recurse with the item path (``files[2].mediaId``)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any or hint is object:
        return value
    if origin in (types.UnionType, typing.Union):
        return _union(args, value, path)
    if origin is Literal:
        return _literal(args, value, path)
    if origin is list:
        return [_convert(args[0], item, f"{path}[{i}]") for i, item in enumerate(_sequence(value, path))]
    if origin is tuple:
        item_hint = args[0] if args else Any
        return tuple(_convert(item_hint, item, f"{path}[{i}]") for i, item in enumerate(_sequence(value, path)))
    if origin is dict or hint is dict:
        raw = as_dict(value, path)
        if not args or args[1] is Any:
            return raw
        return {key: _convert(args[1], item, f"{path}[{key}]") for key, item in raw.items()}
    if dataclasses.is_dataclass(hint) and isinstance(hint, type):
        return _dataclass(hint, value, path)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum(hint, value, path)
    return _scalar(hint, value, path)


def _scalar(hint: Any, value: object, path: str) -> object:
    if hint is str:
        return string(value, path)
    if hint is bool:
        return boolean(value, path)
    if hint is float:
        return number(value, path)
    if hint is int:
        return int(number(value, path))
    raise TypeError(f"from_wire cannot read {hint!r} (at {path})")


def from_wire(cls: type[T], data: object) -> T:
    """``cls`` (a dataclass) built from parsed wire JSON; raises ``ConduitError(code="invalid_response")``."""
    return _dataclass(cls, data, cls.__name__)


def wire_reader(cls: type[T]) -> Callable[[object], T]:
    """``from_wire`` bound to ``cls``, for the ``parse_*`` names the resources call."""
    return functools.partial(from_wire, cls)
