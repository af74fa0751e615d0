"""``--target`` strings to the SDK's target selector (docs/api.md §12).

``dominant``, ``magic_hint:TEXT``, ``entity_id:ID``, ``speaker_index:N``, ``timerange:START-END`` (seconds, either
bound may be left out: ``timerange:30-``, ``timerange:-90``).
"""

from __future__ import annotations

import click

STRATEGIES = ("dominant", "magic_hint", "entity_id", "speaker_index", "timerange")


def _seconds(text: str, name: str) -> float | None:
    if not text.strip():
        return None
    try:
        value = float(text)
    except ValueError:
        raise click.BadParameter(f"{name} must be a number of seconds", param_hint="--target") from None
    if value < 0:
        raise click.BadParameter(f"{name} must be >= 0", param_hint="--target")
    return value


def parse_target(spec: str, on_miss: str | None) -> dict[str, object]:
    strategy, sep, value = spec.partition(":")
    strategy = strategy.strip()
    if strategy not in STRATEGIES:
        raise click.BadParameter(f"unknown strategy {strategy!r} (one of {', '.join(STRATEGIES)})",
                                 param_hint="--target")
    if strategy != "dominant" and not (sep and value.strip()):
        raise click.BadParameter(f"{strategy} needs a value: {strategy}:VALUE", param_hint="--target")
    target: dict[str, object] = {"strategy": strategy}
    if strategy == "magic_hint":
        target["hint"] = value.strip()
    elif strategy == "entity_id":
        target["entity_id"] = value.strip()
    elif strategy == "speaker_index":
        if not value.strip().isdigit():
            raise click.BadParameter("speaker_index must be an integer >= 0", param_hint="--target")
        target["speaker_index"] = int(value)
    elif strategy == "timerange":
        start, dash, end = value.partition("-")
        if not dash:
            raise click.BadParameter("timerange needs START-END", param_hint="--target")
        target["time_range"] = {"start_seconds": _seconds(start, "START"), "end_seconds": _seconds(end, "END")}
    if on_miss:
        target["on_miss"] = on_miss
    return target
