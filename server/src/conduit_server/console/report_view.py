"""A report as the console shows it: the same content and order as its markdown (analysis/markdown.py), with
every statement tied to its claim in the report's evidence, so a click can show what backs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Statement:
    text: str
    claim: int | None  # index into evidence["claims"]; None if the evidence has no such claim
    title: str | None = None  # an action item's bold title


@dataclass(slots=True)
class Section:
    title: str
    kind: str  # traits | paragraph | actions
    bullets: list[Statement] = field(default_factory=list)
    body: Statement | None = None


@dataclass(frozen=True, slots=True)
class ReportView:
    title: str
    summary: Statement
    sections: list[Section]


def _claim_index(evidence: dict[str, Any]) -> dict[tuple[str, str], int]:
    return {(str(c.get("sectionKey")), str(c.get("text"))): i for i, c in enumerate(evidence.get("claims", []))}


def report_view(doc: dict[str, Any], evidence: dict[str, Any]) -> ReportView:
    claims = _claim_index(evidence)

    def statement(section_key: str, text: str, title: str | None = None) -> Statement:
        return Statement(text, claims.get((section_key, f"{title}: {text}" if title else text)), title)

    sections = []
    for s in doc.get("sections", []):
        key = str(s.get("key", ""))
        section = Section(str(s.get("title", "")), str(s.get("kind", "")))
        if section.kind == "traits":
            section.bullets = [statement(key, p) for p in s.get("phrases", [])]
            section.body = statement(key, str(s.get("body", "")))
        elif section.kind == "paragraph":
            section.body = statement(key, str(s.get("body", "")))
        else:
            section.bullets = [statement(key, str(i["context"]), str(i["title"])) for i in s.get("items", [])]
        sections.append(section)
    return ReportView(str(doc.get("title", "")), statement("summary", str(doc.get("summary", ""))), sections)


def claim_evidence(evidence: dict[str, Any], index: int) -> tuple[dict[str, Any], list[dict[str, Any]]] | None:
    """The claim at `index` and the indicators it cites (each with its measurement and transcript quotes)."""
    claims = evidence.get("claims", [])
    if not 0 <= index < len(claims):
        return None
    claim = claims[index]
    keys = list(claim.get("indicatorKeys", []))
    by_key = {i.get("key"): i for i in evidence.get("indicators", [])}
    return claim, [by_key[k] for k in keys if k in by_key]
