"""Reliability caveats: thin or uncertain evidence is said plainly, near the top, and lowers the confidence."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from analysis.conftest import scripted
from analysis.test_narrative import Fake, completion, report_of
from conduit_server.analysis import (
    BehaviorMap,
    Sample,
    build_behavior_map,
    build_evidence,
    measure_sample,
    render_report,
    validate_report_json,
)
from conduit_server.analysis.dimensions import score_dimensions
from conduit_server.analysis.narrative import NarrativeRenderer
from conduit_server.analysis.reliability import (
    CAVEAT_PREFIX,
    MIN_RELIABLE_SPEECH_SECONDS,
    OVERLAP_SHARE_LIMIT,
    UNCERTAIN_SEPARATION_MARGIN,
    assess_inputs,
    combine,
)
from conduit_server.analysis.render import RenderedReport
from conduit_server.pipeline.types import MediaAnalysis

TEMPLATES = ("general_report", "sales_playbook")


def with_speakers(analysis: MediaAnalysis, **changes: Any) -> MediaAnalysis:
    """Set the same fields (separation_margin, overlap_seconds) on every speaker."""
    return dataclasses.replace(analysis, speakers=tuple(dataclasses.replace(s, **changes) for s in analysis.speakers))


def clean() -> MediaAnalysis:
    """Speaker 0: 70 s of speech, well separated, 2 s overlapped."""
    return with_speakers(scripted(10), separation_margin=0.4, overlap_seconds=2.0)


def render(analysis: MediaAnalysis, template: str = "general_report", speaker: int = 0
           ) -> tuple[Sample, BehaviorMap, RenderedReport]:
    sample = measure_sample(analysis, speaker)
    bmap = build_behavior_map([sample])
    r = render_report(bmap, sample, template=template, subject_label="Dana", template_params=None, language="en",
                      server_version="0.1.0")
    validate_report_json(r.json)
    return sample, bmap, r


def unscaled(bmap: BehaviorMap) -> dict[str, float]:
    """Dimension confidences as they would be without the reliability factor."""
    dims = score_dimensions({k: v.normalized for k, v in bmap.indicators.items()}, bmap.speech_seconds)
    return {k: d.confidence for k, d in dims.items()}


def caveat_paragraph(markdown: str) -> str:
    """The paragraph right under the title."""
    lines = markdown.split("\n")
    assert lines[0].startswith("# ") and lines[1] == ""
    return lines[2]


@pytest.mark.parametrize("template", TEMPLATES)
def test_short_speech_is_said_and_lowers_confidence(template: str) -> None:
    short = with_speakers(scripted(3), separation_margin=0.4)  # speaker 0: 21 s of speech
    sample, bmap, r = render(short, template)
    top = caveat_paragraph(r.markdown)
    assert top.startswith(CAVEAT_PREFIX)
    assert "Only 21 s of Dana's speech could be measured" in top and "60 s" in top
    assert "very high or very low" in top
    assert r.json["summary"].startswith(CAVEAT_PREFIX) and "Only 21 s" in r.json["summary"]
    assert "reliability:low" in r.json["meta"]["prompt"]["labels"]
    ev = build_evidence(sample, r.claims, r.reliability)
    rel = ev["reliability"]
    assert rel["level"] == "low" and rel["speechSeconds"] == 21.0
    assert [x["code"] for x in rel["reasons"]] == ["short_speech"]
    assert rel["factor"] == round(21.0 / MIN_RELIABLE_SPEECH_SECONDS, 2)
    assert any("Only 21 s of this speaker's speech" in c for c in rel["caveats"])
    before = unscaled(bmap)
    assert bmap.traits and all(d.confidence < before[k] for k, d in bmap.traits.items())
    assert all(d.confidence <= round(before[k] * 0.35, 2) + 0.01 for k, d in bmap.traits.items())
    traits = next(s for s in r.json["sections"] if s["kind"] == "traits")
    assert "lowered for the reasons given at the top" in traits["body"]


@pytest.mark.parametrize("template", TEMPLATES)
def test_low_separation_margin_is_said(template: str) -> None:
    uncertain = with_speakers(scripted(10), separation_margin=0.04)
    _, bmap, r = render(uncertain, template)
    top = caveat_paragraph(r.markdown)
    assert top.startswith(CAVEAT_PREFIX)
    assert "hard to tell apart" in top and "separation margin 0.04" in top and "someone else's" in top
    assert "Only" not in top  # 70 s is enough speech: only the separation is in doubt
    assert bmap.assessed.level == "reduced" and [x.code for x in bmap.assessed.reasons] == ["uncertain_separation"]
    _, clean_map, _ = render(clean())
    for k, d in bmap.traits.items():
        assert d.confidence < clean_map.traits[k].confidence
        assert d.confidence == pytest.approx(clean_map.traits[k].confidence * 0.5, abs=0.011)


def test_overlapped_speech_is_said() -> None:
    overlapped = with_speakers(scripted(10), separation_margin=0.4, overlap_seconds=21.0)  # 30% of 70 s
    sample, bmap, r = render(overlapped)
    top = caveat_paragraph(r.markdown)
    assert "30% of Dana's speech overlapped" in top
    assert bmap.assessed.factor == 0.7
    assert build_evidence(sample, r.claims)["reliability"]["overlapShare"] == 0.3


@pytest.mark.parametrize("template", TEMPLATES)
def test_ample_clean_speech_has_no_caveat(template: str) -> None:
    sample, bmap, r = render(clean(), template)
    assert CAVEAT_PREFIX not in r.markdown and "caution" not in r.markdown.lower()
    assert not caveat_paragraph(r.markdown).startswith(CAVEAT_PREFIX)
    assert r.caveat is None
    assert not any(x.startswith("reliability:") for x in r.json["meta"]["prompt"]["labels"])
    rel = build_evidence(sample, r.claims, r.reliability)["reliability"]
    assert rel["level"] == "ok" and rel["reasons"] == [] and rel["caveats"] == [] and rel["factor"] == 1.0
    assert rel["speechSeconds"] == 70.0 and rel["separationMargin"] == 0.4
    assert {k: d.confidence for k, d in bmap.traits.items()} == unscaled(bmap)


def test_thresholds_are_the_documented_ones() -> None:
    assert UNCERTAIN_SEPARATION_MARGIN == 0.25 and OVERLAP_SHARE_LIMIT == 0.15 and MIN_RELIABLE_SPEECH_SECONDS == 60
    assert assess_inputs(60.0, 9.0, 0.25).reasons == ()  # at the limits: fine
    assert [r.code for r in assess_inputs(59.9, 9.1, 0.099).reasons] == [
        "short_speech", "uncertain_separation", "overlapped_speech"]
    assert assess_inputs(120.0, separation_margin=None).level == "ok"  # a lone speaker has nothing to separate


def test_recordings_pool_their_evidence() -> None:
    a = assess_inputs(40.0, 2.0, 0.05)
    b = assess_inputs(40.0, 2.0, 0.55)
    both = combine([a, b])
    assert both.speech_seconds == 80.0 and both.recordings == 2
    assert both.separation_margin == pytest.approx(0.30) and both.reasons == ()
    assert combine([a, assess_inputs(10.0)]).separation_margin == 0.05  # margins only from recordings that have one
    assert "across 2 recordings" in (combine([assess_inputs(20.0), assess_inputs(20.0)]).caveat_text("Dana") or "")


def test_round_trips_and_older_stored_json() -> None:
    short = with_speakers(scripted(3), separation_margin=0.04)
    sample = measure_sample(short, 0)
    assert sample.reliability is not None and sample.reliability.level == "low"
    assert Sample.from_json(json.loads(json.dumps(sample.to_json()))) == sample
    bmap = build_behavior_map([sample])
    assert BehaviorMap.from_json(json.loads(json.dumps(bmap.to_json()))) == bmap
    old_sample = {k: v for k, v in sample.to_json().items() if k != "reliability"}
    legacy = Sample.from_json(old_sample)
    assert legacy.reliability is None and [r.code for r in legacy.assessed.reasons] == ["short_speech"]
    old_map = {k: v for k, v in bmap.to_json().items() if k != "reliability"}
    assert BehaviorMap.from_json(old_map).assessed.speech_seconds == 21.0
    # an old stored sample still gets the speech caveat in a new report
    r = render_report(build_behavior_map([legacy]), legacy, template="sales_playbook", subject_label="Dana",
                      template_params=None, language="en", server_version="0.1.0")
    assert r.json["summary"].startswith(CAVEAT_PREFIX)


async def test_narrative_rewrite_must_keep_the_caveat() -> None:
    short = with_speakers(scripted(3), separation_margin=0.4)
    sample, _, det = render(short)
    assert det.caveat is not None

    def keeps(report: dict[str, Any]) -> dict[str, Any]:
        report = dict(report)
        report["summary"] = report["summary"].replace("comes across as", "reads as")
        return report

    def drops(report: dict[str, Any]) -> dict[str, Any]:
        report = dict(report)
        report["summary"] = report["summary"][len(det.caveat or ""):].strip()
        return report

    fake = Fake(lambda body, n: (200, completion(keeps(report_of(body)))))
    renderer: NarrativeRenderer = fake.renderer()
    out = await renderer.render(det, sample, language="en", server_version="0.1.0")
    assert out is not det and out.json["summary"].startswith(det.caveat)
    assert "reliability:low" in out.json["meta"]["prompt"]["labels"] and out.reliability == det.reliability
    fake = Fake(lambda body, n: (200, completion(drops(report_of(body)))))
    out = await fake.renderer().render(det, sample, language="en", server_version="0.1.0")
    assert out is det  # every attempt dropped the caution: the deterministic report stands
    assert "caution paragraph" in fake.bodies[-1]["messages"][-1]["content"]
