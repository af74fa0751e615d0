"""Strict validators for ReportJson (docs/api.md §3.4/§13) and MatchingJson (§3.5/§14).

They collect every violation and raise one `SchemaError` listing them all (paths like `sections[2].items[0]`).
"""

from __future__ import annotations

from typing import Any

from .templates import SECTIONS

_KIND_KEYS = {
    "traits": {"kind", "key", "title", "body", "phrases"},
    "paragraph": {"kind", "key", "title", "body"},
    "actions": {"kind", "key", "title", "items"},
}
_ACTION_KEYS = frozenset({"how_to_get_their_best", "how_to_handle_the_hard_parts", "how_to_close", "how_to_follow_up"})
ALL_SECTION_KEYS = frozenset(k for secs in SECTIONS.values() for k, _ in secs)


class SchemaError(ValueError):
    def __init__(self, violations: list[str]) -> None:
        super().__init__("; ".join(violations))
        self.violations = violations


class _Check:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def keys(self, obj: Any, path: str, required: set[str], optional: set[str] = frozenset()) -> bool:  # type: ignore[assignment]
        if not isinstance(obj, dict):
            self.errors.append(f"{path}: expected an object")
            return False
        for k in sorted(required - obj.keys()):
            self.errors.append(f"{path}.{k}: missing")
        for k in sorted(obj.keys() - required - set(optional)):
            self.errors.append(f"{path}.{k}: unexpected key")
        return True

    def string(self, obj: dict[str, Any], key: str, path: str) -> None:
        if key in obj and (not isinstance(obj[key], str) or not obj[key].strip()):
            self.errors.append(f"{path}.{key}: expected a non-empty string")

    def int_pos(self, obj: dict[str, Any], key: str, path: str) -> None:
        v = obj.get(key)
        if key in obj and (not isinstance(v, int) or isinstance(v, bool) or v <= 0):
            self.errors.append(f"{path}.{key}: expected an integer > 0")

    def done(self) -> None:
        if self.errors:
            raise SchemaError(self.errors)


def validate_report_json(obj: Any) -> None:
    c = _Check()
    if not c.keys(obj, "$", {"schemaVersion", "template", "title", "summary", "sections", "meta"}):
        c.done()
    if obj.get("schemaVersion") != 2:
        c.errors.append("$.schemaVersion: expected 2")
    template = obj.get("template")
    if template not in SECTIONS:
        c.errors.append(f"$.template: expected one of {sorted(SECTIONS)}")
    for k in ("title", "summary"):
        c.string(obj, k, "$")
    sections = obj.get("sections")
    if not isinstance(sections, list) or not sections:
        c.errors.append("$.sections: expected a non-empty array")
        sections = []
    for i, s in enumerate(sections):
        _section(c, s, f"$.sections[{i}]")
    if template in SECTIONS and isinstance(obj.get("sections"), list):
        got = [(s.get("key"), s.get("kind")) for s in sections if isinstance(s, dict)]
        want = list(SECTIONS[template])
        if got != want:
            c.errors.append(f"$.sections: expected keys/kinds {want} in this order for {template}, got {got}")
    meta = obj.get("meta")
    if "meta" in obj and c.keys(meta, "$.meta", {"prompt", "render"}):
        prompt, render = meta.get("prompt"), meta.get("render")
        if "prompt" in meta and c.keys(prompt, "$.meta.prompt", {"name", "version", "labels"}):
            c.string(prompt, "name", "$.meta.prompt")
            c.int_pos(prompt, "version", "$.meta.prompt")
            labels = prompt.get("labels")
            if "labels" in prompt and (not isinstance(labels, list)
                                       or not all(isinstance(x, str) and x.strip() for x in labels)):
                c.errors.append("$.meta.prompt.labels: expected an array of non-empty strings")
        if "render" in meta and c.keys(render, "$.meta.render", {"provider", "model", "attempts"}):
            if render.get("provider") not in ("openai", "anthropic"):
                c.errors.append("$.meta.render.provider: expected 'openai' or 'anthropic'")
            c.string(render, "model", "$.meta.render")
            c.int_pos(render, "attempts", "$.meta.render")
    c.done()


def _section(c: _Check, s: Any, path: str) -> None:
    if not isinstance(s, dict):
        c.errors.append(f"{path}: expected an object")
        return
    kind, key = s.get("kind"), s.get("key")
    if kind not in _KIND_KEYS:
        c.errors.append(f"{path}.kind: expected traits, paragraph or actions")
        return
    c.keys(s, path, _KIND_KEYS[kind])
    want = "traits" if key == "dominating_traits" else "actions" if key in _ACTION_KEYS else "paragraph"
    if key not in ALL_SECTION_KEYS:
        c.errors.append(f"{path}.key: unknown section key {key!r}")
    elif kind != want:
        c.errors.append(f"{path}.kind: {key} must be {want}, got {kind}")
    for k in ("key", "title", "body"):
        c.string(s, k, path)
    if kind == "traits":
        phrases = s.get("phrases")
        if not isinstance(phrases, list) or len(phrases) != 3 or not all(isinstance(p, str) and p.strip()
                                                                         for p in phrases):
            c.errors.append(f"{path}.phrases: expected exactly 3 non-empty strings")
    if kind == "actions":
        items = s.get("items")
        if not isinstance(items, list) or not items:
            c.errors.append(f"{path}.items: expected a non-empty array")
            items = []
        for j, it in enumerate(items):
            if c.keys(it, f"{path}.items[{j}]", {"title", "context"}):
                c.string(it, "title", f"{path}.items[{j}]")
                c.string(it, "context", f"{path}.items[{j}]")


def _content(c: _Check, v: Any, path: str, *, nested: bool = False) -> None:
    if isinstance(v, list) and not nested:
        if not v:
            c.errors.append(f"{path}: expected a non-empty array")
        for i, x in enumerate(v):
            _content(c, x, f"{path}[{i}]", nested=True)
        return
    t = v.get("type") if isinstance(v, dict) else None
    if t == "card":
        if c.keys(v, path, {"type", "title", "content", "icon"}):
            for k in ("title", "content", "icon"):
                c.string(v, k, path)
    elif t == "text":
        if c.keys(v, path, {"type", "content"}, {"title"}):
            c.string(v, "content", path)
            c.string(v, "title", path)
    elif t == "grid":
        if c.keys(v, path, {"type", "columns", "items"}):
            if v.get("columns") not in (2, 3, 4) or isinstance(v.get("columns"), bool):
                c.errors.append(f"{path}.columns: expected 2, 3 or 4")
            items = v.get("items")
            if not isinstance(items, list):
                c.errors.append(f"{path}.items: expected an array")
                items = []
            for i, it in enumerate(items):
                if not isinstance(it, dict) or it.get("type") != "card":
                    c.errors.append(f"{path}.items[{i}]: expected a card")
                else:
                    _content(c, it, f"{path}.items[{i}]", nested=True)
    elif t == "illustration":
        if c.keys(v, path, {"type", "variant"}) and v.get("variant") not in (
                "conversation", "growth", "connection", "analysis"):
            c.errors.append(f"{path}.variant: unknown variant")
    else:
        c.errors.append(f"{path}: expected a card, text, grid or illustration")


def validate_matching_json(obj: Any) -> None:
    c = _Check()
    if not c.keys(obj, "$", {"schemaVersion", "title", "summary", "sections"}):
        c.done()
    if obj.get("schemaVersion") != 1:
        c.errors.append("$.schemaVersion: expected 1")
    c.string(obj, "title", "$")
    c.string(obj, "summary", "$")
    sections = obj.get("sections")
    if not isinstance(sections, list) or not sections:
        c.errors.append("$.sections: expected a non-empty array")
        sections = []
    for i, s in enumerate(sections):
        p = f"$.sections[{i}]"
        if c.keys(s, p, {"section_title", "section_content"}):
            c.string(s, "section_title", p)
            if "section_content" in s:
                _content(c, s["section_content"], f"{p}.section_content")
    c.done()
