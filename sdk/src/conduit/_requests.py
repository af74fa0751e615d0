"""Validation and wire conversion of request arguments (raise ``ConduitError(code="invalid_request")``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast
from urllib.parse import quote, urlparse

from ._errors import ConduitError, InvalidSourceError
from ._sources import non_empty

REPORT_TEMPLATES = {"general_report", "sales_playbook"}
ON_MISS = {"fallback_dominant", "error"}


def invalid(message: str) -> ConduitError:
    return ConduitError(message, code="invalid_request")


def segment(value: object, name: str) -> str:
    """A percent-encoded path segment."""
    return quote(non_empty(value, name), safe="")


def _required(data: Mapping[str, object], *keys: str) -> object:
    for key in keys:
        if key in data:
            return data[key]
    raise invalid(f"Missing required field: {keys[0]}")


def _optional(data: Mapping[str, object], *keys: str) -> object | None:
    for key in keys:
        if key in data:
            return data[key]
    return None


def _mapping(value: object, name: str) -> Mapping[str, object]:
    if isinstance(value, Mapping):
        return cast("Mapping[str, object]", value)
    raise invalid(f"{name} must be an object")


def _seconds(value: object, name: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    raise invalid(f"{name} must be a number")


def report_output(output: Mapping[str, object]) -> dict[str, object]:
    template = non_empty(_required(output, "template"), "output.template")
    if template not in REPORT_TEMPLATES:
        raise invalid("output.template must be general_report or sales_playbook")
    payload: dict[str, object] = {"template": template}
    params = _optional(output, "template_params", "templateParams")
    if params is not None:
        payload["templateParams"] = {str(k): v for k, v in _mapping(params, "output.template_params").items()}
    return payload


def target_selector(target: Mapping[str, object], name: str = "target") -> dict[str, object]:
    """SDK selector (snake_case or camelCase keys) -> wire selector (snake_case, ``timerange``)."""
    data = _mapping(target, name)
    strategy = non_empty(_required(data, "strategy"), f"{name}.strategy")
    payload: dict[str, object] = {"strategy": strategy}
    on_miss = _optional(data, "on_miss", "onMiss")
    if on_miss is not None:
        if on_miss not in ON_MISS:
            raise invalid(f"{name}.on_miss must be fallback_dominant or error")
        payload["on_miss"] = on_miss
    if strategy == "dominant":
        return payload
    if strategy == "timerange":
        window = _mapping(_required(data, "time_range", "timeRange", "timerange"), f"{name}.time_range")
        start = _seconds(_optional(window, "start_seconds", "startSeconds"), f"{name}.time_range.start_seconds")
        end = _seconds(_optional(window, "end_seconds", "endSeconds"), f"{name}.time_range.end_seconds")
        if start is None and end is None:
            raise invalid(f"{name}.time_range must include start_seconds or end_seconds")
        if start is not None and end is not None and start >= end:
            raise invalid(f"{name}.time_range.start_seconds must be less than end_seconds")
        payload["timerange"] = {"start_seconds": start, "end_seconds": end}
        return payload
    if strategy == "entity_id":
        payload["entity_id"] = non_empty(_required(data, "entity_id", "entityId"), f"{name}.entity_id")
        return payload
    if strategy == "magic_hint":
        payload["hint"] = non_empty(_required(data, "hint"), f"{name}.hint")
        return payload
    if strategy == "speaker_index":
        index = _required(data, "speaker_index", "speakerIndex")
        if not isinstance(index, int) or isinstance(index, bool) or index < 0:
            raise invalid(f"{name}.speaker_index must be a non-negative integer")
        payload["speaker_index"] = index
        return payload
    raise invalid(f"{name}.strategy must be dominant, timerange, entity_id, magic_hint or speaker_index")


def webhook(config: Mapping[str, object] | None) -> dict[str, object] | None:
    if config is None:
        return None
    data = _mapping(config, "webhook")
    url = non_empty(_required(data, "url"), "webhook.url")
    parsed = urlparse(url)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc:
        raise invalid("webhook.url must be an http or https URL")
    payload: dict[str, object] = {"url": url}
    headers = _optional(data, "headers")
    if headers is not None:
        payload["headers"] = {
            str(k): non_empty(v, f"webhook.headers[{k}]") for k, v in _mapping(headers, "webhook.headers").items()
        }
    return payload


def matching_context(context: object) -> str:
    value = non_empty(context, "context")
    if value != "behavioral_compatibility":
        raise invalid("context must be behavioral_compatibility")
    return value


def matching_subject(subject: Mapping[str, object]) -> dict[str, object]:
    data = _mapping(subject, "subject")
    entity_id = _optional(data, "entity_id", "entityId")
    media_id = _optional(data, "media_id", "mediaId")
    if entity_id is not None and media_id is not None:
        raise invalid("subject must include either entity_id or media_id with selector")
    if entity_id is not None:
        return {"type": "entity_id", "entityId": non_empty(entity_id, "subject.entity_id")}
    if media_id is not None:
        return {
            "type": "media_target",
            "mediaId": non_empty(media_id, "subject.media_id"),
            "selector": target_selector(_mapping(_required(data, "selector"), "subject.selector"), "subject.selector"),
        }
    raise invalid("subject must include entity_id or media_id with selector")


def matching_body(
    context: object,
    target: Mapping[str, object],
    group: Sequence[Mapping[str, object]],
    hook: Mapping[str, object] | None,
) -> dict[str, object]:
    target_payload = matching_subject(target)
    group_payload = [matching_subject(item) for item in group]
    if not group_payload:
        raise invalid("group must contain at least one subject")
    seen: set[object] = set()
    for subject in [target_payload, *group_payload]:
        if subject["type"] == "entity_id":
            if subject["entityId"] in seen:
                raise invalid("target and group must reference different direct entity IDs")
            seen.add(subject["entityId"])
    body: dict[str, object] = {
        "context": matching_context(context),
        "target": target_payload,
        "group": group_payload,
    }
    hook_payload = webhook(hook)
    if hook_payload is not None:
        body["webhook"] = hook_payload
    return body


def report_body(
    media_id: str,
    output: Mapping[str, object],
    target: Mapping[str, object],
    language: str | None,
    hook: Mapping[str, object] | None,
) -> dict[str, object]:
    body: dict[str, object] = {
        "media": {"mediaId": media_id},
        "output": report_output(output),
        "target": target_selector(target),
    }
    if language is not None:
        body["language"] = language
    hook_payload = webhook(hook)
    if hook_payload is not None:
        body["webhook"] = hook_payload
    return body


def psychometrics_form(target: Mapping[str, object]) -> dict[str, str]:
    data = _mapping(target, "target")
    strategy = data.get("strategy")
    if strategy not in {"dominant", "magic_hint"}:
        raise invalid("target.strategy must be dominant or magic_hint")
    form = {"strategy": str(strategy)}
    hint = data.get("hint")
    if strategy == "magic_hint" and (not isinstance(hint, str) or not hint.strip()):
        raise invalid("target.hint is required for magic_hint")
    if hint is not None:
        if not isinstance(hint, str) or not hint.strip():
            raise invalid("target.hint is required for magic_hint")
        form["hint"] = hint.strip()
    return form


def report_source_keys(source: Mapping[str, object]) -> str:
    """The single source kind among media_id / file / url / path."""
    keys = [key for key in ("media_id", "file", "url", "path") if key in source]
    if len(keys) != 1:
        raise InvalidSourceError("source must include exactly one of media_id, file, url, or path")
    return keys[0]
