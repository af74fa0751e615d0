"""``from_wire``: the one reader that turns camelCase wire JSON into the SDK's response dataclasses."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest
from conduit import ConduitError, Job, models
from conduit._wire import camel, from_wire


class Tier(enum.Enum):
    FREE = "free"
    PAID = "paid"


@dataclass(slots=True)
class Speaker:
    speaker_index: int
    display_name: str | None = None


@dataclass(slots=True)
class Call:
    call_id: str
    duration_seconds: float
    speakers: list[Speaker]
    host: Speaker | None
    labels: list[str] = field(metadata={"wire_default": list})  # required in Python, optional on the wire
    tags: tuple[str, ...] = ()
    scores: dict[str, float] = field(default_factory=dict)
    extra: dict[str, Any] | None = None
    tier: Tier = Tier.FREE
    kind: Literal["live", "recorded"] = "recorded"
    legacy_ref: str | None = field(default=None, metadata={"wire": ("ref", "legacy_ref")})
    notes: list[str] = field(default_factory=list, metadata={"wire": "noteList"})


CALL = {
    "callId": "c1",
    "durationSeconds": 12,
    "speakers": [{"speakerIndex": 0, "displayName": "Ana"}, {"speakerIndex": 1}],
    "host": {"speakerIndex": 0},
    "labels": ["l"],
    "tags": ["a", "b"],
    "scores": {"pace": 1},
    "extra": {"anything": [1, {"x": None}]},
    "tier": "paid",
    "kind": "live",
    "ref": "r9",
    "noteList": ["n"],
}


def _invalid(cls: type[object], payload: object) -> str:
    with pytest.raises(ConduitError) as info:
        from_wire(cls, payload)
    assert info.value.code == "invalid_response"
    return info.value.message


def test_naming_rule() -> None:
    assert camel("credits_net_used") == "creditsNetUsed"
    assert camel("id") == "id"


def test_nested_lists_tuples_dicts_enums_and_overrides() -> None:
    call = from_wire(Call, CALL)
    assert call.call_id == "c1" and call.duration_seconds == 12.0 and isinstance(call.duration_seconds, float)
    assert call.speakers == [Speaker(0, "Ana"), Speaker(1, None)]
    assert call.host == Speaker(0) and call.labels == ["l"]
    assert call.tags == ("a", "b") and call.scores == {"pace": 1.0}
    assert call.extra == {"anything": [1, {"x": None}]}
    assert (call.tier, call.kind, call.legacy_ref, call.notes) == (Tier.PAID, "live", "r9", ["n"])


def test_alias_tuple_takes_the_first_present_name() -> None:
    assert from_wire(Call, {**CALL, "ref": None, "legacy_ref": "old"}).legacy_ref is None
    without = {k: v for k, v in CALL.items() if k != "ref"}
    assert from_wire(Call, {**without, "legacy_ref": "old"}).legacy_ref == "old"


def test_missing_optional_fields_take_defaults_or_none() -> None:
    call = from_wire(Call, {"callId": "c1", "durationSeconds": 1.5, "speakers": []})
    assert call.host is None and call.labels == [] and call.tags == () and call.scores == {} and call.extra is None
    assert (call.tier, call.kind, call.legacy_ref, call.notes) == (Tier.FREE, "recorded", None, [])


def test_unknown_keys_are_ignored() -> None:
    call = from_wire(Call, {**CALL, "brandNew": {"deep": True}, "speakers": [{"speakerIndex": 2, "mood": "ok"}]})
    assert call.speakers == [Speaker(2)]


def test_missing_required_field_is_invalid_response_naming_the_path() -> None:
    assert "Call.callId" in _invalid(Call, {"durationSeconds": 1, "speakers": []})
    nested = _invalid(Call, {**CALL, "speakers": [{"speakerIndex": 0}, {"displayName": "x"}]})
    assert "Call.speakers[1].speakerIndex" in nested


@pytest.mark.parametrize(
    "patch",
    [
        {"callId": None},
        {"callId": 5},
        {"durationSeconds": "12"},
        {"durationSeconds": True},
        {"speakers": {}},
        {"speakers": [{"speakerIndex": "0"}]},
        {"host": []},
        {"tags": ["a", 1]},
        {"labels": None},
        {"scores": {"pace": None}},
        {"extra": [1]},
        {"tier": "gold"},
        {"kind": "other"},
    ],
)
def test_shape_mismatches_are_invalid_response(patch: dict[str, object]) -> None:
    _invalid(Call, {**CALL, **patch})


def test_top_level_must_be_an_object() -> None:
    assert "expected object" in _invalid(Call, [CALL])


def test_sdk_models_read_through_from_wire() -> None:
    wire = {"id": "j", "type": "t", "status": "queued", "createdAt": "a", "updatedAt": "b", "progress": 1}
    job = from_wire(Job, {**wire, "usage": {"creditsUsed": 1, "creditsNetUsed": 0}, "futureField": 1})
    assert (job.id, job.progress, job.error, job.credits) == ("j", 1.0, None, None)
    assert job.usage is not None and job.usage.credits_used == 1.0 and job.usage.model_version is None
    assert models.parse_job(wire) == from_wire(Job, wire)
