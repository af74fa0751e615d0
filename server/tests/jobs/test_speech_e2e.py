"""Generated recordings through the whole server: targeting on real diarized speech, voice identity across
uploads, bad media, and a scripted conversation whose measured behaviour the report must state."""

from __future__ import annotations

from typing import Any

import httpx
from fixtures.speech import Turn, interview, make_conversation, monologue, silence, tone

from jobs.conftest import upload, wait_job

GENERAL = {"template": "general_report"}


async def _job(
    api: httpx.AsyncClient, media_id: str, target: dict[str, Any], output: dict[str, Any] = GENERAL
) -> dict[str, Any]:
    r = await api.post("/v1/reports/jobs", json={"media": {"mediaId": media_id}, "output": output, "target": target})
    assert r.status_code == 200, r.text
    return await wait_job(api, r.json()["jobId"])


async def _speaker_voice(api: httpx.AsyncClient, media_id: str, job: dict[str, Any], voices: tuple[str, ...]) -> str:
    report = (await api.get(f"/v1/reports/{job['reportId']}/evidence")).json()
    return voices[report["speakerIndex"]]


async def test_interview_magic_hint_picks_the_candidate_not_the_dominant_interviewer(api) -> None:
    conv = interview()
    media = await upload(api, conv.path, "interview")
    dominant = await _job(api, media["mediaId"], {"strategy": "dominant"})
    candidate = await _job(
        api, media["mediaId"], {"strategy": "magic_hint", "hint": "the job candidate being interviewed"}
    )
    interviewer = await _job(
        api, media["mediaId"], {"strategy": "magic_hint", "hint": "the interviewer asking questions"}
    )
    by_name = await _job(api, media["mediaId"], {"strategy": "magic_hint", "hint": "Daniel"})
    for job in (dominant, candidate, interviewer, by_name):
        assert job["status"] == "succeeded", job
    assert await _speaker_voice(api, media["mediaId"], dominant, conv.voices) == "slt"  # the interviewer talks most
    assert await _speaker_voice(api, media["mediaId"], candidate, conv.voices) == "rms"
    assert await _speaker_voice(api, media["mediaId"], interviewer, conv.voices) == "slt"
    assert await _speaker_voice(api, media["mediaId"], by_name, conv.voices) == "rms"

    gender = await _job(api, media["mediaId"], {"strategy": "magic_hint", "hint": "the woman"})
    assert gender["status"] == "failed" and gender["error"]["code"] == "target_not_found"
    timed = await _job(
        api, media["mediaId"], {"strategy": "timerange", "timerange": {"start_seconds": 0, "end_seconds": 4}}
    )
    assert await _speaker_voice(api, media["mediaId"], timed, conv.voices) == conv.truth_turns[0].voice


async def test_same_voice_in_two_uploads_is_one_entity(api) -> None:
    first = await upload(api, monologue("awb", 0).path, "awb-1")
    second = await upload(api, monologue("awb", 1).path, "awb-2")
    other = await upload(api, monologue("slt", 1).path, "slt-1")
    jobs = [await _job(api, m["mediaId"], {"strategy": "dominant"}) for m in (first, second, other)]
    assert [j["status"] for j in jobs] == ["succeeded"] * 3, jobs
    entities = [(await api.get(f"/v1/reports/{j['reportId']}")).json()["entity"]["id"] for j in jobs]
    assert entities[0] == entities[1] != entities[2]
    entity = (await api.get(f"/v1/entities/{entities[0]}")).json()
    assert entity["mediaCount"] == 2 and entity["lastSeenAt"] is not None

    by_entity = await _job(api, second["mediaId"], {"strategy": "entity_id", "entity_id": entities[0]})
    assert by_entity["status"] == "succeeded"
    miss = await _job(api, other["mediaId"], {"strategy": "entity_id", "entity_id": entities[0]})
    assert miss["status"] == "failed" and miss["error"]["code"] == "target_not_found"
    fallback = await _job(
        api, other["mediaId"], {"strategy": "entity_id", "entity_id": entities[0], "on_miss": "fallback_dominant"}
    )
    assert fallback["status"] == "succeeded"
    behavior_map = (await api.get(f"/v1/entities/{entities[0]}/behavior-map")).json()
    assert len(behavior_map["sampleIds"]) == 2


async def test_bad_media_fails_the_job_with_a_contract_code(api) -> None:
    quiet = await upload(api, silence(8.0), "silence")
    beep = await upload(api, tone(6.0), "tone")
    r = await api.post("/v1/files", files={"file": ("empty.wav", b"")})
    assert r.status_code == 200 and r.json()["sizeBytes"] == 0
    empty = r.json()
    assert (await _job(api, quiet["mediaId"], {"strategy": "dominant"}))["error"]["code"] == "insufficient_speech"
    assert (await _job(api, beep["mediaId"], {"strategy": "dominant"}))["error"]["code"] == "insufficient_speech"
    assert (await _job(api, empty["mediaId"], {"strategy": "dominant"}))["error"]["code"] == "invalid_media"
    detail = (await api.get(f"/v1/files/{empty['mediaId']}")).json()
    assert detail["processingStatus"] == "FAILED"


_HEDGER = [
    "Well, I think maybe we could perhaps try the new plan, do you think that would work?",
    "I guess it sort of depends on the budget, right? What do you think about the timeline?",
    "Maybe we should possibly ask the others first, or do you think we could just decide now?",
    "I am not sure, I think it might be kind of risky. Could we perhaps check the numbers again?",
    "Perhaps we could try a small pilot first. What would you suggest, and who should be involved?",
]
_CERTAIN = [
    "The plan works. We will start on Monday.",
    "The budget is fixed. It is enough.",
    "We decide now. The team is ready.",
    "The numbers are correct. I checked them.",
]


async def test_scripted_behaviour_is_stated_about_the_right_speaker(api) -> None:
    turns = []
    for i, line in enumerate(_HEDGER):
        turns.append(Turn("rms", line, 0.4, stretch=0.85))
        if i < len(_CERTAIN):
            turns.append(Turn("slt", _CERTAIN[i], 1.2, stretch=1.35))
    conv = make_conversation(turns, name="hedger-vs-certain")
    media = await upload(api, conv.path, "scripted")
    hedger = await _job(api, media["mediaId"], {"strategy": "speaker_index", "speaker_index": 0})
    certain = await _job(api, media["mediaId"], {"strategy": "speaker_index", "speaker_index": 1})
    ev = {}
    for name, job in (("hedger", hedger), ("certain", certain)):
        assert job["status"] == "succeeded", job
        evidence = (await api.get(f"/v1/reports/{job['reportId']}/evidence")).json()
        ev[name] = {i["key"]: i for i in evidence["indicators"]}
    assert conv.voices[0] == "rms"
    assert ev["hedger"]["talk_share"]["raw"] > 0.6 > ev["certain"]["talk_share"]["raw"]
    assert ev["hedger"]["question_rate"]["raw"] > ev["certain"]["question_rate"]["raw"]
    assert ev["hedger"]["hedge_rate"]["binned"] in ("high", "very_high")
    assert ev["hedger"]["hedge_rate"]["raw"] > ev["certain"]["hedge_rate"]["raw"]
    assert ev["hedger"]["speech_rate"]["raw"] > ev["certain"]["speech_rate"]["raw"]
    report = (await api.get(f"/v1/reports/{hedger['reportId']}")).json()
    text = report["markdown"].lower()
    assert "hedg" in text or "tentative" in text
    assert "question" in text

    sales = await _job(api, media["mediaId"], {"strategy": "speaker_index", "speaker_index": 0},
                       output={"template": "sales_playbook"})
    assert sales["status"] == "succeeded", sales
    sales_text = (await api.get(f"/v1/reports/{sales['reportId']}")).json()["markdown"].lower()
    assert ("hedg" in sales_text or "tentative" in sales_text) and "question" in sales_text
    calm = (await api.get(f"/v1/reports/{certain['reportId']}")).json()["markdown"].lower()
    assert "hedges a lot" not in calm
