from __future__ import annotations

from typing import Any

import pytest
from conduit_server.targeting.target import (
    SelectorError,
    TargetSelector,
    TimeRange,
    parse_target_selector,
)


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ({"strategy": "dominant"}, TargetSelector("dominant")),
        ({"strategy": "dominant", "on_miss": None, "hint": None, "timerange": None}, TargetSelector("dominant")),
        (
            {"strategy": "magic_hint", "hint": "the candidate", "on_miss": "fallback_dominant"},
            TargetSelector("magic_hint", "fallback_dominant", hint="the candidate"),
        ),
        (
            {"strategy": "entity_id", "entity_id": "ent_abc", "speaker_index": "ignored"},
            TargetSelector("entity_id", entity_id="ent_abc"),
        ),
        ({"strategy": "speaker_index", "speaker_index": 0}, TargetSelector("speaker_index", speaker_index=0)),
        (
            {"strategy": "timerange", "timerange": {"start_seconds": 5, "end_seconds": None}},
            TargetSelector("timerange", timerange=TimeRange(5.0, None)),
        ),
        (
            {"strategy": "timerange", "timerange": {"end_seconds": 12.5}},
            TargetSelector("timerange", timerange=TimeRange(None, 12.5)),
        ),
        # fields the strategy does not use are ignored, even when invalid
        (
            {"strategy": "dominant", "speaker_index": -3, "hint": "", "entity_id": 7, "unknown": 1},
            TargetSelector("dominant"),
        ),
    ],
)
def test_valid(wire: dict[str, Any], expected: TargetSelector) -> None:
    assert parse_target_selector(wire) == expected


@pytest.mark.parametrize(
    ("wire", "issues"),
    [
        ({}, [("target.strategy", "Required")]),
        ({"strategy": "loudest"}, [("target.strategy", None)]),
        ({"strategy": "dominant", "on_miss": "ignore"}, [("target.on_miss", None)]),
        ({"strategy": "magic_hint"}, [("target.hint", "Required")]),
        ({"strategy": "magic_hint", "hint": "   "}, [("target.hint", None)]),
        ({"strategy": "magic_hint", "hint": "x" * 1025}, [("target.hint", None)]),
        ({"strategy": "magic_hint", "hint": 5}, [("target.hint", None)]),
        ({"strategy": "entity_id"}, [("target.entity_id", "Required")]),
        ({"strategy": "entity_id", "entity_id": ""}, [("target.entity_id", None)]),
        ({"strategy": "entity_id", "entity_id": "e" * 257}, [("target.entity_id", None)]),
        ({"strategy": "speaker_index"}, [("target.speaker_index", "Required")]),
        ({"strategy": "speaker_index", "speaker_index": -1}, [("target.speaker_index", None)]),
        ({"strategy": "speaker_index", "speaker_index": True}, [("target.speaker_index", None)]),
        ({"strategy": "speaker_index", "speaker_index": 1.5}, [("target.speaker_index", None)]),
        ({"strategy": "speaker_index", "speaker_index": "1"}, [("target.speaker_index", None)]),
        ({"strategy": "timerange"}, [("target.timerange", "Required")]),
        ({"strategy": "timerange", "timerange": {}}, [("target.timerange", None)]),
        (
            {"strategy": "timerange", "timerange": {"start_seconds": None, "end_seconds": None}},
            [("target.timerange", None)],
        ),
        ({"strategy": "timerange", "timerange": {"start_seconds": -1}}, [("target.timerange.start_seconds", None)]),
        ({"strategy": "timerange", "timerange": {"end_seconds": "3"}}, [("target.timerange.end_seconds", None)]),
        ({"strategy": "timerange", "timerange": {"start_seconds": 5, "end_seconds": 5}}, [("target.timerange", None)]),
        ({"strategy": "timerange", "timerange": {"start_seconds": 9, "end_seconds": 2}}, [("target.timerange", None)]),
        ({"strategy": "timerange", "timerange": [1, 2]}, [("target.timerange", None)]),
        ({"strategy": "nope", "on_miss": "nope"}, [("target.strategy", None), ("target.on_miss", None)]),
    ],
)
def test_invalid(wire: dict[str, Any], issues: list[tuple[str, str | None]]) -> None:
    with pytest.raises(SelectorError) as caught:
        parse_target_selector(wire)
    assert [path for path, _ in caught.value.issues] == [path for path, _ in issues]
    for (_, got), (_, want) in zip(caught.value.issues, issues, strict=True):
        assert got and (want is None or got == want)
    assert caught.value.code == "validation_error"


def test_not_an_object() -> None:
    with pytest.raises(SelectorError) as caught:
        parse_target_selector(["dominant"])
    assert caught.value.issues == [("target", "Expected object")]


def test_message_and_path_prefix() -> None:
    with pytest.raises(SelectorError) as caught:
        parse_target_selector({"strategy": "magic_hint"})
    assert caught.value.message == "target.hint is required for magic_hint strategy"
    with pytest.raises(SelectorError) as caught:
        parse_target_selector({"strategy": "speaker_index", "speaker_index": -2}, path="group[1].selector")
    assert caught.value.issues[0][0] == "group[1].selector.speaker_index"


def test_to_wire_keeps_only_the_used_field() -> None:
    selector = parse_target_selector({"strategy": "magic_hint", "hint": "the host", "speaker_index": 2})
    assert selector.to_wire() == {"strategy": "magic_hint", "on_miss": "error", "hint": "the host"}
