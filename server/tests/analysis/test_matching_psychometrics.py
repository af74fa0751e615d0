from __future__ import annotations

import copy
import json

import pytest
from conduit_server.analysis import (
    SchemaError,
    Subject,
    build_behavior_map,
    estimate_psychometrics,
    measure_sample,
    quality,
    render_matching,
    validate_matching_json,
)


def maps(analysis):
    return [build_behavior_map([measure_sample(analysis, i)]) for i in (0, 1)]


def test_contrast_differs_from_similar(convo, similar_convo) -> None:
    a0, a1 = maps(convo)
    s0, s1 = maps(similar_convo)
    contrast = render_matching(Subject("Dana", 1, a0), [Subject(None, 2, a1)])
    alike = render_matching(Subject(None, 1, s0), [Subject(None, 2, s1)])
    for r in (contrast, alike):
        validate_matching_json(r.json)
    assert alike.pairings[0].score > contrast.pairings[0].score
    assert alike.pairings[0].verdict != contrast.pairings[0].verdict
    assert contrast.pairings[0].clashes and not alike.pairings[0].clashes
    titles = [s["section_title"] for s in contrast.json["sections"]]
    assert titles == ["Overview", "Compatibility at a glance", "Dana and Speaker 2", "How to work together"]
    grid = contrast.json["sections"][1]["section_content"]
    assert grid["columns"] == 2 and grid["items"][0]["title"] == "Speaker 2"
    assert "## Compatibility at a glance" in contrast.markdown


def test_matching_grid_columns_and_determinism(convo) -> None:
    a0, a1 = maps(convo)
    group = [Subject(f"M{i}", i, a1 if i % 2 else a0) for i in range(5)]
    r = render_matching(Subject("T", 9, a0), group)
    validate_matching_json(r.json)
    assert r.json["sections"][1]["section_content"]["columns"] == 4
    assert len(r.json["sections"]) == 2 + 5 + 1
    again = render_matching(Subject("T", 9, a0), group)
    assert json.dumps(r.json, sort_keys=True) == json.dumps(again.json, sort_keys=True)
    assert r.markdown == again.markdown


def test_matching_validator_rejects(convo) -> None:
    a0, a1 = maps(convo)
    doc = render_matching(Subject(None, 1, a0), [Subject(None, 2, a1)]).json
    for mutate in (lambda d: d.update(x=1), lambda d: d["sections"][1]["section_content"].update(columns=5),
                   lambda d: d["sections"][0]["section_content"].update(type="video"),
                   lambda d: d["sections"][1]["section_content"]["items"][0].pop("icon")):
        bad = copy.deepcopy(doc)
        mutate(bad)
        with pytest.raises(SchemaError):
            validate_matching_json(bad)


def test_psychometrics_in_range_and_deterministic(convo) -> None:
    a0, a1 = maps(convo)
    p0, p1 = estimate_psychometrics(a0), estimate_psychometrics(a1)
    assert set(p0) >= {"honestyHumility", "emotionality", "extraversion", "agreeableness", "conscientiousness",
                       "opennessToExperience"}
    assert all(0.0 <= v <= 1.0 and round(v, 2) == v for v in [*p0.values(), *p1.values()])
    assert p0 == estimate_psychometrics(a0)
    assert p0["extraversion"] > p1["extraversion"]  # the fast, talkative speaker
    q = quality(target_seconds=70.0, target_utterances=10, source_seconds=100.0, segment_count=20)
    assert q == {"segmentCount": 20, "signal": "medium", "sourceAudioDurationSeconds": 100.0,
                 "speakerCoverageRatio": 0.7, "targetAudioDurationSeconds": 70.0, "targetUtteranceCount": 10}
