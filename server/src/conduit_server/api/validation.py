"""Create-body validation for report and matching jobs (docs/api.md §3.4, §3.5): every problem becomes an issue
with a path; one 422 lists them all."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from conduit_server.domain.errors import ValidationFailed
from conduit_server.domain.requests import (
    EntityRef,
    MatchingRequest,
    MediaTargetRef,
    ReportRequest,
    SubjectRef,
    WebhookTarget,
)
from conduit_server.domain.selector import SelectorError, TargetSelector, parse_target_selector
from conduit_server.webhooks.guard import AddressPolicy
from conduit_server.webhooks.validate import validate_webhook_config

TEMPLATES = ("general_report", "sales_playbook")
LANGUAGES = ("en", "es", "pt")
TEMPLATE_PARAM_STRINGS = ("roleTitle", "roleDescription", "companyCulture")
MAX_MATCHING_GROUP = 50  # group members of one matching: each is a behavior map to compare and a report section


class Issues:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append((path, message))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(self.items)


def short_text(body: dict[str, Any], key: str, issues: Issues, *, max_len: int = 64) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not 1 <= len(value.strip()) <= max_len:
        issues.add(key, f"must be a non-blank string of at most {max_len} characters")
        return None
    return value.strip()


def selector(value: Any, path: str, issues: Issues) -> TargetSelector | None:
    try:
        return parse_target_selector(value, path=path)
    except SelectorError as exc:
        for p, m in exc.issues:
            issues.add(p, m)
        return None


def webhook(body: dict[str, Any], issues: Issues, policy: AddressPolicy) -> WebhookTarget | None:
    value = body.get("webhook")
    if value is None:
        return None
    problems = validate_webhook_config(value)
    for problem in problems:
        issues.add(problem.path, problem.message)
    if problems:
        return None
    # An IP literal in a refused range can never be delivered to: say so now. Host names are checked after DNS
    # resolution at every delivery attempt (docs/api.md §16(h)).
    host = urlsplit(value["url"]).hostname or ""
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        literal = None
    if literal is not None and policy.is_refused(literal):
        issues.add("webhook.url", "points to a private, loopback, link-local or metadata address")
        return None
    return WebhookTarget(url=value["url"], headers=dict(value.get("headers") or {}))


def report_request(body: dict[str, Any], policy: AddressPolicy) -> ReportRequest:
    issues = Issues()
    media = body.get("media")
    media_id = None
    if not isinstance(media, dict):
        issues.add("media", "Required object with mediaId")
    else:
        media_id = media.get("mediaId")
        if not isinstance(media_id, str) or not 1 <= len(media_id) <= 256:
            issues.add("media.mediaId", "Required string")
            media_id = None
    output = body.get("output")
    template, params = None, None
    if not isinstance(output, dict):
        issues.add("output", "Required object with template")
    else:
        for key in output:
            if key not in ("template", "templateParams"):
                issues.add(f"output.{key}", "Unknown key")
        template = output.get("template")
        if template not in TEMPLATES:
            issues.add("output.template", f"must be one of {', '.join(TEMPLATES)}")
        params = output.get("templateParams")
        if params is not None:
            if not isinstance(params, dict):
                issues.add("output.templateParams", "must be an object")
                params = None
            else:
                for key in TEMPLATE_PARAM_STRINGS:
                    value = params.get(key)
                    if value is not None and (not isinstance(value, str) or len(value) > 2000):
                        issues.add(f"output.templateParams.{key}", "must be a string of at most 2000 characters")
    if "target" not in body:
        issues.add("target", "Required")
        target = None
    else:
        target = selector(body.get("target"), "target", issues)
    hook = webhook(body, issues, policy)
    language = body.get("language", "en")
    if language is None:
        language = "en"
    if language not in LANGUAGES:
        issues.add("language", f"must be one of {', '.join(LANGUAGES)}")
    label = short_text(body, "label", issues)
    entity_label = short_text(body, "entityLabel", issues)
    issues.raise_if_any()
    params_clean = None
    if params:
        params_clean = {k: v for k, v in params.items() if k in TEMPLATE_PARAM_STRINGS and v}
    # no issues: every required value above was set
    assert isinstance(media_id, str) and isinstance(template, str) and target is not None
    return ReportRequest(media_id=media_id, template=template, target=target, template_params=params_clean or None,
                         webhook=hook, language=language, label=label, entity_label=entity_label)


def _subject(value: Any, path: str, issues: Issues) -> SubjectRef | None:
    if not isinstance(value, dict):
        issues.add(path, "must be a subject object")
        return None
    kind = value.get("type")
    if kind == "entity_id":
        entity_id = value.get("entityId")
        if not isinstance(entity_id, str) or not 1 <= len(entity_id) <= 256:
            issues.add(f"{path}.entityId", "Required string of 1-256 characters")
            return None
        return EntityRef(entity_id)
    if kind == "media_target":
        media_id = value.get("mediaId")
        if not isinstance(media_id, str) or not 1 <= len(media_id) <= 256:
            issues.add(f"{path}.mediaId", "Required string of 1-256 characters")
            media_id = None
        sel = selector(value.get("selector"), f"{path}.selector", issues)
        if media_id is None or sel is None:
            return None
        return MediaTargetRef(media_id, sel)
    issues.add(f"{path}.type", "must be entity_id or media_target")
    return None


def matching_request(body: dict[str, Any], policy: AddressPolicy) -> MatchingRequest:
    issues = Issues()
    if body.get("context") != "behavioral_compatibility":
        issues.add("context", "must be behavioral_compatibility")
    target = _subject(body.get("target"), "target", issues)
    group_raw = body.get("group")
    group: list[SubjectRef | None] = []
    if not isinstance(group_raw, list) or not group_raw:
        issues.add("group", "must be a non-empty array of subjects")
    elif len(group_raw) > MAX_MATCHING_GROUP:
        issues.add("group", f"must have at most {MAX_MATCHING_GROUP} subjects")
    else:
        group = [_subject(item, f"group.{i}", issues) for i, item in enumerate(group_raw)]
    hook = webhook(body, issues, policy)
    label = short_text(body, "label", issues)
    issues.raise_if_any()
    subjects = [target, *group]
    direct = [s.entity_id for s in subjects if isinstance(s, EntityRef)]
    if len(direct) != len(set(direct)):
        raise ValidationFailed([("group", "target and group must reference different direct entity IDs")],
                               "target and group must reference different direct entity IDs")
    # no issues: the target and every group member parsed
    assert target is not None and all(s is not None for s in group)
    return MatchingRequest(target=target, group=tuple(s for s in group if s is not None), webhook=hook, label=label)
