"""The stored job requests: what a validated create body becomes, as typed immutable records (docs/api.md §3.4, §3.5).

A job's `request` (and `webhook`) column holds JSON written by the API or the web console and read back by a worker,
possibly one of a later version: each record here is the one place that writes that JSON (`to_json`) and the one
place that reads it (`from_json`), so a key can no longer be misspelt on one side only. `to_json` writes exactly
the shape this server has always stored (camelCase keys, every key present, None where unset); `from_json` also
reads the older rows it never wrote itself (keys absent, an `on_miss` left out), so queued jobs survive an upgrade.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final

from conduit_server.domain.jobs import JobType
from conduit_server.domain.selector import TargetSelector, parse_target_selector

__all__ = [
    "BEHAVIORAL_COMPATIBILITY",
    "EntityRef",
    "JobRequest",
    "MatchingRequest",
    "MediaTargetRef",
    "ReportRequest",
    "SubjectRef",
    "WebhookTarget",
    "subject_from_json",
]

BEHAVIORAL_COMPATIBILITY: Final = "behavioral_compatibility"  # the one matching context (docs/api.md §3.5)
_DEFAULT_LANGUAGE: Final = "en"


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    """Where a job's terminal event is delivered: a URL and the caller's extra headers (docs/api.md §6.1)."""

    url: str
    headers: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"url": self.url, "headers": dict(self.headers)}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> WebhookTarget:
        """`headers` may be absent or null in rows written before it was always stored."""
        return cls(url=str(obj["url"]), headers=dict(obj.get("headers") or {}))


def _webhook_json(hook: WebhookTarget | None) -> dict[str, Any] | None:
    return None if hook is None else hook.to_json()


def _webhook_from(obj: Mapping[str, Any]) -> WebhookTarget | None:
    value = obj.get("webhook")
    return None if value is None else WebhookTarget.from_json(value)


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A report job's normalised create body: which media, which speaker of it, and how to render the report."""

    job_type: ClassVar[JobType] = JobType.REPORT

    media_id: str
    template: str
    target: TargetSelector
    template_params: Mapping[str, str] | None = None  # only non-empty known strings; None rather than {}
    webhook: WebhookTarget | None = None
    language: str = _DEFAULT_LANGUAGE
    label: str | None = None
    entity_label: str | None = None  # names the target's entity when the report is saved

    def to_json(self) -> dict[str, Any]:
        return {
            "mediaId": self.media_id,
            "template": self.template,
            "templateParams": None if self.template_params is None else dict(self.template_params),
            "target": self.target.to_wire(),
            "webhook": _webhook_json(self.webhook),
            "language": self.language,
            "label": self.label,
            "entityLabel": self.entity_label,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> ReportRequest:
        """Optional keys may be absent (older rows); a missing or null language is English, as at validation."""
        params = obj.get("templateParams")
        return cls(
            media_id=str(obj["mediaId"]),
            template=str(obj["template"]),
            target=parse_target_selector(obj["target"]),
            template_params=None if params is None else dict(params),
            webhook=_webhook_from(obj),
            language=obj.get("language") or _DEFAULT_LANGUAGE,
            label=obj.get("label"),
            entity_label=obj.get("entityLabel"),
        )


@dataclass(frozen=True, slots=True)
class EntityRef:
    """A matching subject named directly by its workspace entity."""

    entity_id: str

    def to_json(self) -> dict[str, Any]:
        return {"type": "entity_id", "entityId": self.entity_id}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> EntityRef:
        return cls(entity_id=str(obj["entityId"]))


@dataclass(frozen=True, slots=True)
class MediaTargetRef:
    """A matching subject named by a speaker of a media: the entity that speaker is, once the media is processed."""

    media_id: str
    selector: TargetSelector

    def to_json(self) -> dict[str, Any]:
        return {"type": "media_target", "mediaId": self.media_id, "selector": self.selector.to_wire()}

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MediaTargetRef:
        return cls(media_id=str(obj["mediaId"]), selector=parse_target_selector(obj["selector"]))


SubjectRef = EntityRef | MediaTargetRef


def subject_from_json(obj: Mapping[str, Any]) -> SubjectRef:
    """A stored subject by its `type` tag; ValueError for a tag this server never wrote."""
    kind = obj.get("type")
    if kind == "entity_id":
        return EntityRef.from_json(obj)
    if kind == "media_target":
        return MediaTargetRef.from_json(obj)
    raise ValueError(f"unknown matching subject type {kind!r}")


@dataclass(frozen=True, slots=True)
class MatchingRequest:
    """A matching job's normalised create body: one target subject compared with a group of them."""

    job_type: ClassVar[JobType] = JobType.MATCHING

    target: SubjectRef
    group: tuple[SubjectRef, ...]
    context: str = BEHAVIORAL_COMPATIBILITY
    webhook: WebhookTarget | None = None
    label: str | None = None

    @property
    def subjects(self) -> tuple[SubjectRef, ...]:
        """The target, then the group, in the order the matching reports them."""
        return (self.target, *self.group)

    def to_json(self) -> dict[str, Any]:
        return {
            "context": self.context,
            "target": self.target.to_json(),
            "group": [ref.to_json() for ref in self.group],
            "webhook": _webhook_json(self.webhook),
            "label": self.label,
        }

    @classmethod
    def from_json(cls, obj: Mapping[str, Any]) -> MatchingRequest:
        return cls(
            target=subject_from_json(obj["target"]),
            group=tuple(subject_from_json(ref) for ref in obj["group"]),
            context=str(obj.get("context") or BEHAVIORAL_COMPATIBILITY),
            webhook=_webhook_from(obj),
            label=obj.get("label"),
        )


JobRequest = ReportRequest | MatchingRequest
