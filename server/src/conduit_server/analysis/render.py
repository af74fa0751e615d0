"""Deterministic report renderer: behavior map + sample -> ReportJson (schemaVersion 2), markdown and claims.

Only indicators present in both the map and this recording's sample are quoted, so every claim's keys exist in
the report's evidence (docs/api.md §3.7). Spanish and Portuguese fall back to English (docs/api.md §3.4 allows it).
When the map's reliability (reliability.py) has reasons, the summary opens with a "Read with caution:" paragraph and
`meta.prompt.labels` carries `reliability:<level>`: ReportJson is strict, so the structured assessment itself goes to
the evidence payload (evidence.py), which allows extra keys.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .behavior_map import BehaviorMap, MapIndicator
from .dimensions import DIMENSIONS, Dimension
from .markdown import report_markdown
from .phrasing import BIN_WORDS, dimension_keys, dimension_label, driver, fact, level, supporting
from .reliability import Reliability
from .sample import Sample
from .templates import (
    ACTIONS,
    DIMENSION_READING,
    PARAGRAPHS,
    ROLE_KEYWORDS,
    ROLE_SECTIONS,
    SECTIONS,
    TEMPLATE_NAMES,
    TEMPLATE_VERSION,
    ActionRule,
    section_title,
)

RENDERED_LANGUAGES = frozenset({"en"})
MAX_ACTIONS = 4


@dataclass(frozen=True, slots=True)
class Claim:
    section_key: str
    text: str
    indicator_keys: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"sectionKey": self.section_key, "text": self.text, "indicatorKeys": list(self.indicator_keys)}


@dataclass(frozen=True, slots=True)
class RenderedReport:
    json: dict[str, Any]
    markdown: str
    claims: list[Claim]
    reliability: Reliability | None = None  # what the report was judged on (the behavior map's)
    caveat: str | None = None  # the caution paragraph opening the summary, verbatim; None when there is none


@dataclass(frozen=True, slots=True)
class _Ctx:
    avail: dict[str, MapIndicator]  # indicators in both the map and the sample
    dims: dict[str, Dimension]
    role_title: str | None
    role_matches: list[tuple[str, list[str]]]  # (dimension, matched keywords)


def _uniq(keys: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(keys))


def _dim_sentence(c: _Ctx, key: str) -> tuple[str, list[str]] | None:
    dim = c.dims.get(key)
    if dim is None:
        return None
    keys = dimension_keys(dim, c.avail)
    if not keys:
        return None
    main = supporting(dim, c.avail)
    facts = " and ".join(fact(k, c.avail[k]) for k in main)
    reading = DIMENSION_READING[key][level(dim.binned) + 1]
    return (
        f"{key.capitalize()} is {BIN_WORDS[dim.binned]} ({dim.normalized:.2f}): this speaker {facts}. {reading}",
        keys,
    )


def _ind_sentence(c: _Ctx, key: str) -> tuple[str, list[str]] | None:
    if key not in c.avail:
        return None
    return f"This speaker {fact(key, c.avail[key])}.", [key]


def _role_sentence(c: _Ctx) -> tuple[str, list[str]] | None:
    role = c.role_title or "the role"
    if not c.role_matches:
        if not c.role_title:
            return None
        top = _top_dims(c, 1)
        if not top:
            return None
        d = top[0]
        return (
            f"The role text for {role} names none of the measured dimensions directly; their most distinct "
            f"one is {d.key} ({BIN_WORDS[d.binned]}, {d.normalized:.2f}).",
            dimension_keys(d, c.avail),
        )
    parts, keys = [], []
    for key, words in c.role_matches:
        d = c.dims[key]
        fit = {1: "a strength for it", 0: "adequate for it", -1: "a gap to plan for"}[level(d.binned)]
        parts.append(
            f"{key} (asked for by '{', '.join(words)}'; measured {BIN_WORDS[d.binned]}, {d.normalized:.2f}, {fit})"
        )
        keys += dimension_keys(d, c.avail)
    return f"For {role}, the role description and culture stress " + "; ".join(parts) + ".", keys


def _top_dims(c: _Ctx, n: int) -> list[Dimension]:
    usable = [d for d in c.dims.values() if dimension_keys(d, c.avail)]
    order = list(DIMENSIONS)
    return sorted(usable, key=lambda d: (-abs(d.normalized - 0.5), order.index(d.key)))[:n]


def _paragraph(c: _Ctx, key: str) -> tuple[str, list[str]]:
    dims, inds = PARAGRAPHS[key]
    parts = [s for s in (_dim_sentence(c, d) for d in dims) if s]
    quoted = {k for d in dims if d in c.dims for k in supporting(c.dims[d], c.avail)}
    parts += [s for s in (_ind_sentence(c, i) for i in inds if i not in quoted) if s]
    if key in ROLE_SECTIONS and (r := _role_sentence(c)):
        parts.append(r)
    if not parts:  # nothing specific measured: fall back on the pace, which every sample has
        parts.append(_ind_sentence(c, "speech_rate") or ("They spoke too little to measure.", list(c.avail)[:1]))
    return " ".join(t for t, _ in parts), [k for _, ks in parts for k in ks]


def _rule_fires(c: _Ctx, rule: ActionRule) -> bool:
    if not all(k in c.avail for k in rule.facts):
        return False
    target = c.dims.get(rule.when) or c.avail.get(rule.when)
    return target is not None and level(target.binned) in rule.levels


def _actions(c: _Ctx, key: str) -> list[tuple[dict[str, str], list[str]]]:
    out: list[tuple[dict[str, str], list[str]]] = []
    for rule in ACTIONS[key]:
        if len(out) >= MAX_ACTIONS - 1 or any(item["title"] == rule.title for item, _ in out):
            continue
        if rule is ACTIONS[key][-1] and out:  # the last rule is the fallback
            continue
        if _rule_fires(c, rule):
            facts = " and ".join(fact(k, c.avail[k]) for k in rule.facts)
            keys = list(rule.facts) + (dimension_keys(c.dims[rule.when], c.avail) if rule.when in c.dims else [])
            out.append(({"title": rule.title, "context": f"This speaker {facts}. {rule.advice}"}, keys))
    if (c.role_title or c.role_matches) and (r := _role_sentence(c)):
        title = f"Relate it to {c.role_title}" if c.role_title else "Relate it to the role"
        out.append(({"title": title, "context": r[0]}, r[1]))
    return out


def _role_matches(params: dict[str, Any]) -> list[tuple[str, list[str]]]:
    text = " ".join(str(params.get(k) or "") for k in ("roleTitle", "roleDescription", "companyCulture")).lower()
    words = re.findall(r"[a-z][a-z-]+", text)
    out = []
    for dim, stems in ROLE_KEYWORDS.items():
        hits = sorted({w for w in words for s in stems if w.startswith(s)})
        if hits:
            out.append((dim, hits[:3]))
    return out


def render_report(
    behavior_map: BehaviorMap,
    sample: Sample,
    *,
    template: str,
    subject_label: str,
    template_params: dict[str, Any] | None,
    language: str,
    server_version: str,
    llm_provider: str = "openai",
) -> RenderedReport:
    """Render one report; pure and deterministic (same input -> identical output)."""
    if template not in SECTIONS:
        raise ValueError(f"unknown template {template!r}")
    params = template_params or {}
    role_title = str(params["roleTitle"]).strip() if isinstance(params.get("roleTitle"), str) else None
    avail = {k: v for k, v in behavior_map.indicators.items() if k in sample.keys}
    c = _Ctx(avail, behavior_map.traits, role_title or None, _role_matches(params))
    claims: list[Claim] = []

    top = _top_dims(c, 3)
    labels = [dimension_label(d).lower() for d in top]
    conf = round(sum(d.confidence for d in top) / len(top), 2) if top else 0.0
    reliability = behavior_map.assessed
    caveat = reliability.caveat_text(subject_label)
    summary = (
        (
            f"{subject_label} comes across as {', '.join(labels[:-1])} and {labels[-1]}, measured over "
            f"{behavior_map.speech_seconds:.0f} s of speech in {behavior_map.sample_count} recording(s) "
            f"(confidence {conf:.2f})."
        )
        if len(labels) >= 2
        else (f"{subject_label}: {behavior_map.speech_seconds:.0f} s of speech measured.")
    )
    if caveat:
        summary = f"{caveat} {summary}"
    claims.append(
        Claim("summary", summary, _uniq([k for d in top for k in dimension_keys(d, avail)] or ["speech_rate"]))
    )
    sections: list[dict[str, Any]] = []
    for key, kind in SECTIONS[template]:
        title = section_title(key)
        if kind == "traits":
            phrases, body_keys = [], []
            for d in top:
                ks = dimension_keys(d, avail)
                main = driver(d, avail)
                phrase = f"{dimension_label(d)} ({d.key} {d.normalized:.2f}): {fact(main, avail[main])}"
                phrases.append(phrase)
                claims.append(Claim(key, phrase, _uniq(ks)))
                body_keys += ks
            for k in ("speech_rate", "talk_share", "question_rate"):  # pad with plain facts if dims are missing
                if len(phrases) < 3 and k in avail:
                    phrases.append(fact(k, avail[k]).capitalize())
                    claims.append(Claim(key, phrases[-1], (k,)))
            share = f" ({avail['talk_share'].raw * 100:.0f}% of all speech)" if "talk_share" in avail else ""
            body = (
                f"These are the three dimensions furthest from typical, from {sample.metrics['speechSeconds']:.0f} s "
                f"of speech in {int(sample.metrics['utteranceCount'])} utterances in this recording{share}; "
                f"confidence {conf:.2f}" + (", lowered for the reasons given at the top." if caveat else ".")
            )
            claims.append(Claim(key, body, _uniq(body_keys + (["talk_share"] if share else [])) or ("speech_rate",)))
            sections.append({"kind": "traits", "key": key, "title": title, "body": body, "phrases": phrases[:3]})
        elif kind == "actions":
            items = _actions(c, key)
            for item, ks in items:
                claims.append(Claim(key, f"{item['title']}: {item['context']}", _uniq(ks)))
            sections.append({"kind": "actions", "key": key, "title": title, "items": [i for i, _ in items]})
        elif key == "bottom_line":
            body, ks = _bottom_line(c, subject_label, top, labels)
            claims.append(Claim(key, body, _uniq(ks)))
            sections.append({"kind": "paragraph", "key": key, "title": title, "body": body})
        else:
            body, ks = _paragraph(c, key)
            claims.append(Claim(key, body, _uniq(ks)))
            sections.append({"kind": "paragraph", "key": key, "title": title, "body": body})

    subject_title = f"{subject_label} - {TEMPLATE_NAMES[template]}" + (f" for {role_title}" if role_title else "")
    labels_meta = ["renderer:deterministic", f"conduit:{server_version}", f"lang:{language}"]
    if language not in RENDERED_LANGUAGES:
        labels_meta.append("fallback:en")
    if reliability.level != "ok":
        labels_meta.append(f"reliability:{reliability.level}")
    doc = {
        "schemaVersion": 2,
        "template": template,
        "title": subject_title,
        "summary": summary,
        "sections": sections,
        "meta": {
            "prompt": {"name": f"conduit.{template}", "version": TEMPLATE_VERSION, "labels": labels_meta},
            "render": {"provider": llm_provider, "model": f"conduit-deterministic-{TEMPLATE_VERSION}", "attempts": 1},
        },
    }
    return RenderedReport(doc, report_markdown(doc), claims, reliability, caveat)


def _bottom_line(c: _Ctx, subject: str, top: list[Dimension], labels: list[str]) -> tuple[str, list[str]]:
    keys = [k for d in top for k in dimension_keys(d, c.avail)]
    text = f"Bottom line: {subject} is most distinctly {', '.join(labels)}." if labels else f"Bottom line: {subject}."
    highs = [d for d in top if level(d.binned) == 1]
    lows = [d for d in top if level(d.binned) == -1]
    if highs:
        text += f" Lean on their {highs[0].key}."
    if lows:
        text += f" Plan around their low {lows[0].key}."
    if r := _role_sentence(c):
        text += " " + r[0]
        keys += r[1]
    elif c.role_title:
        text += f" Read this against the {c.role_title} role."
    return text, keys or ["speech_rate"]
