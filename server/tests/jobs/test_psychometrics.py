"""/v2/psychometrics through the real pipeline: the result shape of docs/api.md §3.6, expiry lookup, validation, and the
upload staying out of /v1/files and entities."""

from __future__ import annotations

from fixtures.speech import two_speaker_short

HEXACO = {"honestyHumility", "emotionality", "extraversion", "agreeableness", "conscientiousness",
          "opennessToExperience"}


async def test_psychometrics_for_the_dominant_speaker(api) -> None:
    files_before = (await api.get("/v1/files", params={"limit": 100})).json()["files"]
    entities_before = (await api.get("/v1/entities", params={"limit": 100})).json()["entities"]
    audio = two_speaker_short().path.read_bytes()
    r = await api.post("/v2/psychometrics", files={"file": ("call.wav", audio)}, data={"strategy": "dominant"},
                       timeout=300)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["analysisId"].startswith("ana_")
    assert HEXACO <= set(result["psychometrics"])
    assert all(0 <= v <= 1 and round(v, 2) == v for v in result["psychometrics"].values())
    assert result["selectedSpeaker"] == {"speakerIndex": 0, "strategy": "dominant"}
    quality = result["quality"]
    assert quality["signal"] in ("low", "medium", "high") and quality["targetUtteranceCount"] >= 3
    assert 0 < quality["speakerCoverageRatio"] <= 1 and quality["sourceAudioDurationSeconds"] > 30
    assert result["expiresAt"] > result["createdAt"]
    assert (await api.get(f"/v2/psychometrics/{result['analysisId']}")).json() == result
    assert (await api.get("/v2/psychometrics/ana_missing000000000000000")).status_code == 404

    assert (await api.get("/v1/files", params={"limit": 100})).json()["files"] == files_before
    assert (await api.get("/v1/entities", params={"limit": 100})).json()["entities"] == entities_before

    hinted = await api.post("/v2/psychometrics", files={"file": ("call.wav", audio)},
                            data={"strategy": "magic_hint", "hint": "the person answering the questions"},
                            timeout=300)
    assert hinted.status_code == 200, hinted.text
    assert hinted.json()["selectedSpeaker"]["strategy"] == "magic_hint"


async def test_psychometrics_rejects_bad_requests(api) -> None:
    audio = two_speaker_short().path.read_bytes()
    for data in ({"strategy": "entity_id"}, {"strategy": "magic_hint"}, {"strategy": "magic_hint", "hint": "  "}):
        r = await api.post("/v2/psychometrics", files={"file": ("call.wav", audio)}, data=data)
        assert r.status_code == 422 and r.json()["error"]["code"] == "validation_error", data
    r = await api.post("/v2/psychometrics", files={"file": ("notes.wav", b"this is not audio at all")},
                       data={"strategy": "dominant"})
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
