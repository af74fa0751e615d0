"""Diarization and speaker-embedding benchmark on real human voices; prints JSON.

    .venv/bin/python bench/diarization.py                        # everything (about 15 minutes on 2 cores)
    .venv/bin/python bench/diarization.py --only ami             # or: conversations, pairs, eer
    .venv/bin/python bench/diarization.py --threshold 0.55 --json-out /tmp/diar.json

Why: flite voices (`bench/pipeline.py`) are far easier to tell apart than people, so speaker counting,
clustering and voiceprint thresholds are judged here, on the recordings of `server/tests/data/real`:
- ami: the 9 AMI far-field meeting excerpts (30 s, 1-4 speakers, overlap), truth from the RTTM and UEM.
- conversations: `fixtures.real_voices` LibriSpeech conversations (2 speakers mixed-sex, female-female,
  male-male; 3 speakers with a same-sex pair), clean and with noise at `--snr` dB.
- pairs: `fixtures.real_voices.quick_turns` of every same-sex pair of the corpus (10 women's, 10 men's), from both
  utterance pools, clean and at `--snr` dB (80 conversations of about 60 s): quick exchanges of 0.8-4 s turns with
  five overlaps, the hardest real-voice set with exact truth.
  Per file of these three sets: speakers found/true (and found / true speakers with >= 2 s of speech), DER with
  missed / false alarm / confusion (pyannote.metrics, collar 0.25 s either side of each reference boundary, overlap
  scored), single-speaker frame accuracy (Hungarian mapping), purity, coverage, overlap seconds found/true, wall
  time, RTF and seconds per stage. Totals pool all files (DER weighted by speech; frame accuracy pooled over frames,
  and also as the mean and the minimum of the files' accuracies). The hypothesis is the pipeline's utterances
  (speaker, start, end).
- eer: a voiceprint of every LibriSpeech utterance (10 speakers x 10), made as the pipeline makes a speaker's (mean of
  the 1 s window embeddings inside detected speech); cosine of all
  same- vs different-speaker pairs: EER and its threshold (also against same-sex impostors only), percentiles,
  and false-accept / false-reject rates at `--threshold` and on a grid, to choose the entity-match threshold.
Progress goes to stderr; stdout is the JSON only.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "server" / "tests"))  # the recordings' truth and the scoring live with the tests

from conduit_server import PIPELINE_VERSION  # noqa: E402
from conduit_server.pipeline.audio import SAMPLE_RATE, decode_audio  # noqa: E402
from conduit_server.pipeline.diarize import speech_windows  # noqa: E402
from conduit_server.pipeline.models import Models  # noqa: E402
from conduit_server.pipeline.pipeline import SpeechPipeline  # noqa: E402
from conduit_server.pipeline.types import MediaAnalysis  # noqa: E402
from fixtures import real_voices, scoring  # noqa: E402
from pyannote.core import Annotation  # noqa: E402

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
THRESHOLD_GRID = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------------------- diarization


@dataclass(frozen=True)
class Item:
    """One recording with its truth, whatever its source."""

    name: str
    path: Path
    reference: Annotation
    uem: list[tuple[float, float]]
    truth: np.ndarray  # frame truth: speaker index, -1 silence, -2 overlap
    speakers: int
    speakers_2s: int  # speakers with at least MIN_SPEAKER_S of speech in the scored region


@dataclass
class Totals:
    scores: scoring.DiarizationScores
    frames_right: int = 0
    frames_scored: int = 0
    files: int = 0
    speakers_right: int = 0
    speakers_2s_right: int = 0
    audio_s: float = 0.0
    wall_s: float = 0.0


MIN_SPEAKER_S = 2.0


def _speakers_with_speech(spans: list[tuple[float, float, str]], uem: list[tuple[float, float]]) -> int:
    """True speakers with at least MIN_SPEAKER_S of speech inside the scored region. The AMI excerpts name
    participants heard for 0.4 s (a backchannel, a laugh): too little for any voiceprint or report, so the count is
    given both ways, `speakers` (everyone in the RTTM) and `speakers_2s`."""
    seconds: dict[str, float] = {}
    for start, end, speaker in spans:
        inside = sum(max(0.0, min(end, b) - max(start, a)) for a, b in uem)
        seconds[speaker] = seconds.get(speaker, 0.0) + inside
    return sum(1 for s in seconds.values() if s >= MIN_SPEAKER_S)


def ami_items() -> list[Item]:
    items = []
    for name in real_voices.ami_names():
        path, truth = real_voices.ami_excerpt(name)
        spans, uem = real_voices.ami_reference(name)
        inside = [s for s in spans if any(s[0] < b and s[1] > a for a, b in uem)]
        items.append(Item(name, path, scoring.annotation(spans, uri=name), uem, truth, len({s for *_, s in inside}),
                          _speakers_with_speech(inside, uem)))
    return items


def conversation_items(snr: float) -> list[Item]:
    items = []
    for noise in (None, snr):
        convs = {
            "mixed2": real_voices.two_speakers_mixed_sex(noise_snr_db=noise),
            "ff2": real_voices.two_speakers_same_sex("F", noise_snr_db=noise),
            "mm2": real_voices.two_speakers_same_sex("M", noise_snr_db=noise),
            "three": real_voices.three_speakers(noise_snr_db=noise),
        }
        for label, conv in convs.items():
            items.append(_conversation_item(label if noise is None else f"{label}-snr{noise:g}", conv))
    return items


def pair_items(snr: float) -> list[Item]:
    items = []
    for noise in (None, snr):
        for voices in real_voices.same_sex_pairs():
            for pool in real_voices.POOLS:
                conv = real_voices.quick_turns(voices, pool=pool, noise_snr_db=noise)
                name = f"{'-'.join(voices)}-{pool}" + ("" if noise is None else f"-snr{noise:g}")
                items.append(_conversation_item(name, conv))
    return items


def _conversation_item(name: str, conv: Any) -> Item:
    """A built conversation scored over its whole length; every speaker counts (the truth is exact)."""
    return Item(name, conv.path, scoring.conversation_reference(conv), [(0.0, conv.duration)], conv.frame_truth,
                conv.speaker_count, conv.speaker_count)


def score(item: Item, result: MediaAnalysis, wall: float, totals: Totals, collar: float) -> dict[str, Any]:
    spans = [(u.start, u.end, u.speaker_index) for u in result.utterances]
    parts = scoring.diarization_scores(item.reference, scoring.annotation(spans, uri=item.name), item.uem,
                                       collar=collar)
    right, scored = scoring.frame_agreement(item.truth, spans, item.speakers)
    found = len(result.speakers)
    duration = result.duration_seconds
    totals.scores = totals.scores + parts
    totals.frames_right += right
    totals.frames_scored += scored
    totals.files += 1
    totals.speakers_right += found == item.speakers
    totals.speakers_2s_right += found == item.speakers_2s
    totals.audio_s += duration
    totals.wall_s += wall
    return {
        "speakers": f"{found}/{item.speakers}",
        "speakers_right": found == item.speakers,
        "speakers_2s": f"{found}/{item.speakers_2s}",
        **parts.summary(),
        "frame_accuracy": round(right / scored, 4) if scored else None,
        "overlap_found_s": round(float(getattr(result, "overlap_seconds", 0.0)), 2),
        "overlap_true_s": round(float(np.sum(item.truth == scoring.OVERLAP)) / scoring.FRAME_RATE, 2),
        "duration_s": round(duration, 2),
        "wall_s": round(wall, 2),
        "rtf": round(wall / max(duration, 1e-9), 4),
        "stage_seconds": result.stage_seconds,
    }


def run_set(pipeline: SpeechPipeline, items: Iterable[Item], collar: float,
            stages: dict[str, float]) -> dict[str, Any]:
    totals = Totals(scoring.DiarizationScores())
    files: dict[str, Any] = {}
    for item in items:
        t0 = time.perf_counter()
        result = pipeline.run(item.path)
        wall = time.perf_counter() - t0
        files[item.name] = score(item, result, wall, totals, collar)
        for stage, seconds in result.stage_seconds.items():
            stages[stage] = stages.get(stage, 0.0) + seconds
        f = files[item.name]
        log(f"{item.name}: speakers {f['speakers']}, DER {f['der']:.3f}, frame acc {f['frame_accuracy']}, "
            f"RTF {f['rtf']:.3f}")
    accuracies = [f["frame_accuracy"] for f in files.values() if f["frame_accuracy"] is not None]
    total = {
        "files": totals.files,
        "speakers_right": f"{totals.speakers_right}/{totals.files}",
        "speakers_2s_right": f"{totals.speakers_2s_right}/{totals.files}",
        **totals.scores.summary(),
        "frame_accuracy": round(totals.frames_right / totals.frames_scored, 4) if totals.frames_scored else None,
        "frame_accuracy_mean_of_files": round(float(np.mean(accuracies)), 4) if accuracies else None,
        "frame_accuracy_min": round(min(accuracies), 4) if accuracies else None,
        "audio_s": round(totals.audio_s, 1),
        "wall_s": round(totals.wall_s, 1),
        "rtf": round(totals.wall_s / max(totals.audio_s, 1e-9), 4),
    }
    return {"files": files, "total": total}


# ------------------------------------------------------------------------------------------------ EER


def equal_error_rate(same: np.ndarray, different: np.ndarray) -> tuple[float, float]:
    """(EER, threshold): where the false-reject rate of `same` meets the false-accept rate of `different`."""
    candidates = np.unique(np.concatenate([same, different]))
    frr = np.searchsorted(np.sort(same), candidates, side="left") / len(same)  # same-speaker scores below t
    far = 1.0 - np.searchsorted(np.sort(different), candidates, side="left") / len(different)  # different >= t
    i = int(np.argmin(np.abs(far - frr)))
    return float((far[i] + frr[i]) / 2), float(candidates[i])


def rates(same: np.ndarray, different: np.ndarray, threshold: float) -> dict[str, float]:
    return {"far": round(float(np.mean(different >= threshold)), 4), "frr": round(float(np.mean(same < threshold)), 4)}


def eer(models: Models, threshold: float) -> dict[str, Any]:
    files = [(spk, f) for spk in real_voices.speakers() for f in real_voices.utterances(spk)]
    t0 = time.perf_counter()
    audio_s = 0.0
    vectors = []
    for _, path in files:
        audio = decode_audio(path, max_seconds=600)
        audio_s += len(audio) / SAMPLE_RATE
        # a voiceprint as the pipeline makes one: mean of the 1 s window embeddings inside detected speech
        windows = speech_windows(models.vad.regions(audio))
        vectors.append(np.asarray(models.embedder.embed_windows(audio, windows), dtype=np.float64).mean(axis=0))
    embed_s = time.perf_counter() - t0
    emb = np.stack(vectors)
    emb /= np.linalg.norm(emb, axis=1, keepdims=True) + 1e-12
    sims = emb @ emb.T
    same, diff, diff_same_sex = [], [], []
    for i, j in itertools.combinations(range(len(files)), 2):
        (a, _), (b, _) = files[i], files[j]
        if a == b:
            same.append(sims[i, j])
        else:
            diff.append(sims[i, j])
            if real_voices.sex_of(a) == real_voices.sex_of(b):
                diff_same_sex.append(sims[i, j])
    s, d, ds = np.array(same), np.array(diff), np.array(diff_same_sex)
    e, t = equal_error_rate(s, d)
    e_ss, t_ss = equal_error_rate(s, ds)
    log(f"EER {e:.4f} at {t:.3f}; same-sex impostors {e_ss:.4f} at {t_ss:.3f}")
    return {
        "utterances": len(files),
        "pairs": {"same": len(s), "different": len(d), "different_same_sex": len(ds)},
        "eer": round(e, 4),
        "threshold_at_eer": round(t, 4),
        "eer_same_sex_impostors": round(e_ss, 4),
        "threshold_at_eer_same_sex": round(t_ss, 4),
        "cosine_percentiles": {
            "same": {f"p{p}": round(float(np.percentile(s, p)), 4) for p in PERCENTILES},
            "different": {f"p{p}": round(float(np.percentile(d, p)), 4) for p in PERCENTILES},
            "different_max": round(float(d.max()), 4),
        },
        "at_threshold": {"threshold": threshold, **rates(s, d, threshold),
                         "far_same_sex": rates(s, ds, threshold)["far"]},
        "grid": {f"{g:.2f}": rates(s, d, g) for g in THRESHOLD_GRID},
        "embed_s": round(embed_s, 2),
        "embed_rtf": round(embed_s / max(audio_s, 1e-9), 4),
    }


# ----------------------------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--only", choices=("ami", "conversations", "pairs", "eer"), help="run one part only")
    ap.add_argument("--json-out", type=Path, help="also write the JSON to this file")
    ap.add_argument("--threshold", type=float, default=0.5, help="cosine at which to report false accepts")
    ap.add_argument("--snr", type=float, default=10.0, help="speech-to-noise ratio (dB) of the noisy conversations")
    ap.add_argument("--collar", type=float, default=0.25, help="DER collar (s) either side of reference boundaries")
    ap.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "models")
    args = ap.parse_args()
    parts = [args.only] if args.only else ["ami", "conversations", "pairs", "eer"]

    models = Models(args.models_dir)
    t0 = time.perf_counter()
    if parts == ["eer"]:
        _ = models.embedder
    else:
        models.load_all()
    embedder = models.embedder
    out: dict[str, Any] = {"pipeline_version": PIPELINE_VERSION, "embedder": f"{type(embedder).__name__} "
                           f"({embedder.dim}-d)", "collar_s": args.collar, "load_s": round(time.perf_counter() - t0, 2)}
    pipeline = SpeechPipeline(models, language="en")
    stages: dict[str, float] = {}
    if "ami" in parts:
        out["ami"] = run_set(pipeline, ami_items(), args.collar, stages)
    if "conversations" in parts:
        out["conversations"] = run_set(pipeline, conversation_items(args.snr), args.collar, stages)
    if "pairs" in parts:
        out["pairs"] = run_set(pipeline, pair_items(args.snr), args.collar, stages)
    sets = [p for p in ("ami", "conversations", "pairs") if p in out]
    if stages:
        audio = sum(out[p]["total"]["audio_s"] for p in sets)
        wall = sum(out[p]["total"]["wall_s"] for p in sets)
        out["rtf"] = {"audio_s": round(audio, 1), "wall_s": round(wall, 1), "total": round(wall / audio, 4),
                      "per_stage": {k: round(v / audio, 4) for k, v in stages.items()}}
    if "eer" in parts:
        out["eer"] = eer(models, args.threshold)
    text = json.dumps(out, indent=2, ensure_ascii=False)
    if args.json_out is not None:
        args.json_out.write_text(text + "\n", encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
