"""Reports from a scripted conversation: the right facts about the right speaker, schema-valid, deterministic."""

from __future__ import annotations

import copy
import json

import pytest
from conduit_server.analysis import (
    BehaviorMap,
    SchemaError,
    build_behavior_map,
    build_evidence,
    measure_sample,
    render_report,
    validate_report_json,
)
from conduit_server.analysis.templates import TEMPLATE_VERSION
from conduit_server.pipeline.types import MediaAnalysis

TEMPLATES = ("general_report", "sales_playbook")


def report(convo: MediaAnalysis, speaker: int, template: str, params: dict | None = None, language: str = "en"):
    sample = measure_sample(convo, speaker)
    bmap = build_behavior_map([sample])
    rendered = render_report(bmap, sample, template=template, subject_label=f"Speaker {speaker}",
                             template_params=params, language=language, server_version="0.1.0")
    return sample, bmap, rendered


@pytest.mark.parametrize("template", TEMPLATES)
def test_facts_land_on_the_right_speaker(convo: MediaAnalysis, template: str) -> None:
    _, _, r0 = report(convo, 0, template)
    _, _, r1 = report(convo, 1, template)
    text0 = r0.markdown + " ".join(c.text for c in r0.claims)
    text1 = r1.markdown + " ".join(c.text for c in r1.claims)
    for phrase in ("speaks fast", "asks many questions", "hedges a lot", "70% of all speech"):
        assert phrase in text0 or phrase in json.dumps(r0.json), phrase
        assert phrase not in text1, phrase
    assert "speaks fast" in text0
    assert "speaks slowly" in text1 and "speaks in certain terms" in text1


@pytest.mark.parametrize("template", TEMPLATES)
def test_evidence_backs_every_claim(convo: MediaAnalysis, template: str) -> None:
    sample, _, r = report(convo, 0, template)
    ev = build_evidence(sample, r.claims)
    keys = {i["key"] for i in ev["indicators"]}
    assert all(c["indicatorKeys"] and set(c["indicatorKeys"]) <= keys for c in ev["claims"])
    texts = {c["text"] for c in ev["claims"]}
    for s in r.json["sections"]:
        if s["kind"] == "traits":
            assert set(s["phrases"]) <= texts
        elif s["kind"] == "paragraph":
            assert s["body"] in texts
        else:
            assert {f"{i['title']}: {i['context']}" for i in s["items"]} <= texts
    rate = next(i for i in ev["indicators"] if i["key"] == "speech_rate")
    assert rate["binned"] in ("high", "very_high") and rate["evidence"]
    assert set(ev["metrics"]) == {"speechSeconds", "utteranceCount", "wordsPerMinute", "meanPauseSeconds"}
    qs = next(c for c in ev["claims"] if "asks many questions" in c["text"])
    assert "question_rate" in qs["indicatorKeys"]


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("language", ["en", "es", "pt"])
def test_schema_valid_and_meta(convo: MediaAnalysis, template: str, language: str) -> None:
    _, _, r = report(convo, 1, template, language=language)
    validate_report_json(r.json)
    assert r.json["template"] == template
    assert r.json["meta"]["prompt"]["name"] == f"conduit.{template}"
    assert r.json["meta"]["prompt"]["labels"][:3] == ["renderer:deterministic", "conduit:0.1.0", f"lang:{language}"]
    assert r.json["meta"]["render"] == {"provider": "openai", "model": f"conduit-deterministic-{TEMPLATE_VERSION}",
                                        "attempts": 1}
    assert r.markdown.startswith(f"# {r.json['title']}\n\n{r.json['summary']}\n")
    for s in r.json["sections"]:
        assert f"## {s['title']}" in r.markdown
        for i in s.get("items", []):
            assert f"- **{i['title']}**: {i['context']}" in r.markdown


def test_role_is_honoured(convo: MediaAnalysis) -> None:
    params = {"roleTitle": "Account Executive", "roleDescription": "Negotiate and close deals with customers.",
              "companyCulture": "Data-driven and collaborative.", "ignored": 3}
    for template in TEMPLATES:
        _, _, r = report(convo, 0, template, params)
        validate_report_json(r.json)
        assert "Account Executive" in r.json["title"]
        sec = {s["key"]: s for s in r.json["sections"]}
        assert "Account Executive" in sec["bottom_line"]["body"]
        drive = sec["what_drives_them" if template == "general_report" else "what_drives_a_yes"]["body"]
        assert "negotiate" in drive and "assertiveness" in drive
        actions = [s for s in r.json["sections"] if s["kind"] == "actions"]
        assert all(any("Account Executive" in i["title"] for i in s["items"]) for s in actions)
    _, _, neutral = report(convo, 0, "general_report")
    assert "role" not in neutral.markdown.lower()


def test_deterministic(convo: MediaAnalysis) -> None:
    for template in TEMPLATES:
        a = report(convo, 0, template, {"roleTitle": "CTO"})[2]
        b = report(convo, 0, template, {"roleTitle": "CTO"})[2]
        assert json.dumps(a.json, sort_keys=True) == json.dumps(b.json, sort_keys=True)
        assert a.markdown == b.markdown


def test_behavior_map_round_trip_and_weighting(convo: MediaAnalysis) -> None:
    s0, s1 = measure_sample(convo, 0), measure_sample(convo, 1)
    m = build_behavior_map([s0, s1])
    assert BehaviorMap.from_json(json.loads(json.dumps(m.to_json()))) == m
    # 70 s and 30 s of speech: 0.7 * a + 0.3 * b
    a, b = s0.indicator("speech_rate"), s1.indicator("speech_rate")
    assert m.indicators["speech_rate"].normalized == round(0.7 * a.normalized + 0.3 * b.normalized, 2)  # type: ignore[union-attr]
    assert set(m.payload()) == {"indicators", "traits"}
    short = build_behavior_map([measure_sample(convo, 1)])
    assert short.traits["energy"].confidence < m.traits["energy"].confidence  # less speech, less confidence


def _valid(convo: MediaAnalysis) -> dict:
    return report(convo, 0, "general_report")[2].json


@pytest.mark.parametrize("mutate,needle", [
    (lambda d: d.update(extra=1), "$.extra: unexpected key"),
    (lambda d: d["sections"].pop(3), "in this order"),
    (lambda d: d["sections"][1].update(kind="actions"), "must be paragraph"),
    (lambda d: d["sections"][0]["phrases"].pop(), "exactly 3"),
    (lambda d: d["sections"][1].update(body=""), "non-empty string"),
    (lambda d: d["meta"]["render"].update(provider="local"), "provider"),
    (lambda d: d["sections"][7]["items"][0].update(why="x"), "unexpected key"),
    (lambda d: d.pop("meta"), "$.meta: missing"),
])
def test_validator_rejects(convo: MediaAnalysis, mutate, needle: str) -> None:
    doc = copy.deepcopy(_valid(convo))
    mutate(doc)
    with pytest.raises(SchemaError) as err:
        validate_report_json(doc)
    assert needle in str(err.value)


def test_validator_lists_every_violation(convo: MediaAnalysis) -> None:
    doc = copy.deepcopy(_valid(convo))
    doc["extra"] = 1
    doc["summary"] = ""
    with pytest.raises(SchemaError) as err:
        validate_report_json(doc)
    assert len(err.value.violations) == 2
