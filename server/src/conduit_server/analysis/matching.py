"""Behavioral compatibility of a target with each group member (docs/api.md §3.5 / §14).

score = 1 - mean over shared dimensions of |a - b|, minus 0.1 when both are assertive (>= 0.6: two people who
steer compete for the floor). Verdict: >= 0.8 natural fit, >= 0.65 workable with care, else likely friction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .behavior_map import BehaviorMap
from .dimensions import DIMENSIONS
from .markdown import matching_markdown
from .phrasing import BIN_WORDS

ALIGN_MAX = 0.15
CLASH_MIN = 0.3
VERDICTS = ((0.8, "Natural fit", "users"), (0.65, "Workable with care", "spark"), (0.0, "Likely friction", "alert"))


@dataclass(frozen=True, slots=True)
class Subject:
    label: str | None
    speaker_number: int
    behavior_map: BehaviorMap

    @property
    def name(self) -> str:
        return self.label or f"Speaker {self.speaker_number}"


@dataclass(frozen=True, slots=True)
class Pairing:
    score: float
    verdict: str
    icon: str
    aligned: list[str]
    clashes: list[str]


@dataclass(frozen=True, slots=True)
class RenderedMatching:
    json: dict[str, Any]
    markdown: str
    pairings: list[Pairing]


def compare(a: BehaviorMap, b: BehaviorMap) -> Pairing:
    shared = [k for k in DIMENSIONS if k in a.traits and k in b.traits]
    diffs = {k: abs(a.traits[k].normalized - b.traits[k].normalized) for k in shared}
    score = 1.0 - (sum(diffs.values()) / len(diffs) if diffs else 0.5)
    if "assertiveness" in shared and min(a.traits["assertiveness"].normalized,
                                         b.traits["assertiveness"].normalized) >= 0.6:
        score -= 0.1
    score = round(max(0.0, min(1.0, score)), 2)
    verdict, icon = next((v, i) for t, v, i in VERDICTS if score >= t)
    aligned = [k for k in shared if diffs[k] <= ALIGN_MAX]
    clashes = sorted((k for k in shared if diffs[k] >= CLASH_MIN), key=lambda k: (-diffs[k], shared.index(k)))
    return Pairing(score, verdict, icon, aligned, clashes)


def _describe(s: Subject, key: str) -> str:
    d = s.behavior_map.traits[key]
    return f"{s.name}'s {key} is {BIN_WORDS[d.binned]} ({d.normalized:.2f})"


def _member_text(t: Subject, m: Subject, p: Pairing) -> str:
    parts = [f"Compatibility {p.score:.2f} ({p.verdict.lower()})."]
    if p.aligned:
        parts.append("They align on " + ", ".join(p.aligned) + ".")
    if p.clashes:
        parts.append("Likely clashes: " + "; ".join(f"{_describe(t, k)} vs {_describe(m, k)}" for k in p.clashes)
                     + ".")
    else:
        parts.append("No dimension differs by 0.3 or more.")
    if p.clashes:
        k = p.clashes[0]
        parts.append(f"To work together, agree up front how to handle the gap in {k}.")
    else:
        parts.append("To work together, build on the shared style and watch for blind spots it creates.")
    return " ".join(parts)


def render_matching(target: Subject, group: list[Subject]) -> RenderedMatching:
    if not group:
        raise ValueError("group needs at least one member")
    pairs = [compare(target.behavior_map, m.behavior_map) for m in group]
    mean = round(sum(p.score for p in pairs) / len(pairs), 2)
    names = ", ".join(m.name for m in group)
    overview = (f"Behavioral compatibility of {target.name} with {names}, from measured speech behaviour "
                f"(mean score {mean:.2f} on 0-1; 1 = same measured style).")
    sections: list[dict[str, Any]] = [
        {"section_title": "Overview", "section_content": {"type": "text", "content": overview}},
        {"section_title": "Compatibility at a glance", "section_content": {
            "type": "grid", "columns": max(2, min(4, len(group))),
            "items": [{"type": "card", "title": m.name, "content": f"{p.verdict} ({p.score:.2f})", "icon": p.icon}
                      for m, p in zip(group, pairs, strict=True)]}},
    ]
    for m, p in zip(group, pairs, strict=True):
        sections.append({"section_title": f"{target.name} and {m.name}",
                         "section_content": {"type": "text", "content": _member_text(target, m, p)}})
    worst = min(range(len(group)), key=lambda i: (pairs[i].score, i))
    closing = (f"Start with {group[worst].name} ({pairs[worst].verdict.lower()}, {pairs[worst].score:.2f}): "
               + (f"make the difference in {pairs[worst].clashes[0]} explicit and agree how decisions are made."
                  if pairs[worst].clashes else "styles are close, so agree roles to avoid duplicated effort."))
    sections.append({"section_title": "How to work together", "section_content": {"type": "text", "content": closing}})
    doc = {"schemaVersion": 1, "title": f"{target.name} - behavioral compatibility",
           "summary": f"{target.name} with {names}: " + "; ".join(
               f"{m.name} {p.verdict.lower()} ({p.score:.2f})" for m, p in zip(group, pairs, strict=True)) + ".",
           "sections": sections}
    return RenderedMatching(doc, matching_markdown(doc), pairs)
