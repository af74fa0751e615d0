"""Measure the behavioral indicators on real human speech, to calibrate `analysis/reference.py`. Prints JSON.

    .venv/bin/python bench/calibrate_references.py    # AMI + LibriSpeech: ~5 min on 2 busy cores, 1 min once cached
    .venv/bin/python bench/calibrate_references.py --only ami --out /tmp/cal.json

Data: `server/tests/data/real/` (see its README.md).
- AMI: 9 meeting excerpts of 30 s (far-field, conversational). Words come from our ASR (`Models.transcriber`); who
  said them comes from the RTTM truth (`ami/train.rttm`), not from our diarization: each speaker's speech is their
  RTTM segments intersected with our VAD regions (the pipeline's "diarized speech after VAD"), and
  `pipeline.turns.build_turns` attributes words and builds utterances exactly as the pipeline does. These RTTM
  segments are turn-like (one may run 28 s, pauses included, while someone else talks), so where two overlap the
  shorter one wins the frame: a short turn inside a long one is most likely its own speaker talking. Words outside
  every truth segment (+-0.25 s) are dropped, not attributed: trn04 has 5 s of speech its RTTM does not annotate.
  `overlap_seconds` per speaker is the truth's overlap within their VAD-speech (an upper bound, for the same reason).
  Speakers with under `--min-speech` seconds are left out of the statistics (their rates are mostly attribution
  noise: 1 s of speech with 5 words reads 300 wpm).
- LibriSpeech: 100 read utterances of 10 speakers (test-other). `librispeech`: each reader's 10 utterances played
  back to back as one recording (~75 s, the silence at the file edges becomes sentence pauses), n = 10;
  `librispeech_utterance`: every utterance as its own recording (2-35 s; those under `--min-speech` dropped), to show
  how much wider the spread of short samples is. One speaker, whose speech is our VAD regions.
Prosody is `pipeline.prosody.ProsodyAnalyzer`; indicators are `analysis.indicators.measure_sample`.

Output: per corpus and indicator the distribution of the raw values (n, mean, percentiles 10/25/50/75/90, min, max)
over speakers with at least `--min-speech` seconds (default 5 s), plus the AMI speakers' speech and overlap shares
(for the reliability thresholds) and the state of the transcriber (filled pauses depend on whether Whisper writes
"um"/"uh": `transcriber.transcribe_py_sha256`, `transcribe_py_modified` and the filler counts say what was measured).
Transcripts are cached under `.cache/calibrate/<transcribe.py hash>/` (`--no-cache` to redo them).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import statistics
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from conduit_server.analysis.indicators import measure_sample
from conduit_server.domain import lexicon as lx
from conduit_server.pipeline.audio import SAMPLE_RATE, decode_audio
from conduit_server.pipeline.diarize import FRAME_S, SpeakerSegment
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.prosody import ProsodyAnalyzer
from conduit_server.pipeline.segmentation import SPEECH
from conduit_server.pipeline.turns import build_turns
from conduit_server.pipeline.types import InsufficientSpeechError, MediaAnalysis, Speaker, Word
from conduit_server.pipeline.vad import SpeechRegion

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "server" / "tests" / "data" / "real"
TRANSCRIBE_PY = REPO / "server" / "src" / "conduit_server" / "pipeline" / "transcribe.py"
PERCENTILES = (10, 25, 50, 75, 90)
TRUTH_SLACK_S = 0.25  # a word whose midpoint is this far outside every truth segment is not attributed
# the indicators whose ranges this calibrates (the lexical ones need far more text than these corpora hold)
CALIBRATED = ("pitch_variability", "intensity_variability", "speech_rate", "articulation_rate", "filled_pauses",
              "long_pauses", "mean_turn_length", "longest_monologue", "response_latency")


@dataclass(frozen=True, slots=True)
class Measured:
    corpus: str
    recording: str
    speaker: str
    speech_seconds: float
    overlap_seconds: float
    words: int
    fillers: int
    indicators: dict[str, float]


def transcriber_state() -> dict[str, Any]:
    sha = hashlib.sha256(TRANSCRIBE_PY.read_bytes()).hexdigest()
    try:  # read-only look at the working tree: has someone changed the prompting since the last commit?
        diff = subprocess.run(["git", "diff", "--quiet", "HEAD", "--", str(TRANSCRIBE_PY)], cwd=REPO,
                              capture_output=True, check=False)
        modified: bool | None = diff.returncode == 1
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True,
                              check=False).stdout.strip() or None
    except OSError:
        modified, head = None, None
    return {"transcribe_py_sha256": sha, "transcribe_py_modified": modified, "git_head": head}


def _words_cached(models: Models, audio: np.ndarray, key: str, cache: Path | None) -> tuple[Word, ...]:
    path = cache / f"{key}.json" if cache is not None else None
    if path is not None and path.exists():
        return tuple(Word(**w) for w in json.loads(path.read_text()))
    words = models.transcriber.transcribe(audio, language="en").words
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps([{"start": w.start, "end": w.end, "text": w.text, "probability": w.probability}
                                    for w in words]))
    return words


def _frames(spans: Sequence[tuple[float, float]], n: int) -> np.ndarray:
    mask = np.zeros(n, dtype=bool)
    for a, b in spans:
        mask[max(0, int(round(a / FRAME_S))) : max(0, int(round(b / FRAME_S)))] = True
    return mask


def _segments(mask: np.ndarray, speaker: int) -> list[SpeakerSegment]:
    edges = np.flatnonzero(np.diff(np.concatenate([[0], mask.astype(np.int8), [0]])))
    return [SpeakerSegment(float(a * FRAME_S), float(b * FRAME_S), speaker) for a, b in zip(edges[::2], edges[1::2],
                                                                                          strict=True)]


def analysis_from_truth(audio: np.ndarray, words: Sequence[Word], truth: dict[str, list[tuple[float, float]]],
                        regions: Sequence[SpeechRegion], prosody: ProsodyAnalyzer) -> tuple[MediaAnalysis, list[str]]:
    """A `MediaAnalysis` whose speakers are the truth's, each speaking where the truth and our VAD agree.

    Returns the analysis and the truth names in speaker-index order."""
    duration = len(audio) / SAMPLE_RATE
    n = int(np.ceil(duration / FRAME_S)) + 1
    vad = _frames([(r.start, r.end) for r in regions], n)
    names = sorted(truth)
    masks = {name: _frames(truth[name], n) & vad for name in names}
    # shorter segments are painted last, so they win overlapped frames in build_turns (its frame labels overwrite)
    painted: list[tuple[float, SpeakerSegment]] = []
    for label, name in enumerate(names):
        for a, b in truth[name]:
            for seg in _segments(_frames([(a, b)], n) & vad, label):
                painted.append((b - a, seg))
    segments = [s for _, s in sorted(painted, key=lambda p: (-p[0], p[1].start))]
    # words where the truth has nobody speaking are dropped, not attributed (some excerpts are only partly annotated)
    annotated = _frames([(a - TRUTH_SLACK_S, b + TRUTH_SLACK_S) for spans in truth.values() for a, b in spans], n)
    words = [w for w in words if annotated[min(n - 1, int((w.start + w.end) / 2 / FRAME_S))]]
    turns = build_turns(words, segments, duration)
    order = [names[label] for label in turns.label_of_speaker]
    utterances, pros = prosody.analyse(audio, turns.utterances, len(order))
    speakers = []
    for i, name in enumerate(order):
        others = np.zeros(n, dtype=bool)
        for other in names:
            if other != name:
                others |= masks[other]
        speakers.append(Speaker(
            index=i, speech_seconds=round(float(masks[name].sum()) * FRAME_S, 3),
            utterance_count=sum(1 for u in utterances if u.speaker_index == i), prosody=pros[i],
            overlap_seconds=round(float((masks[name] & others).sum()) * FRAME_S, 3),
        ))
    overlap = float((np.sum([masks[m] for m in names], axis=0) >= 2).sum()) * FRAME_S if names else 0.0
    return MediaAnalysis(round(duration, 3), tuple(speakers), utterances, overlap_seconds=round(overlap, 3)), order


def _measure(corpus: str, recording: str, analysis: MediaAnalysis, names: list[str]) -> list[Measured]:
    out = []
    for spk in analysis.speakers:
        try:
            sample = measure_sample(analysis, spk.index)
        except InsufficientSpeechError:
            continue
        toks = [t for u in analysis.utterances_of(spk.index) for t in lx.tokens(u.text)]
        out.append(Measured(corpus, recording, names[spk.index], spk.speech_seconds, spk.overlap_seconds, len(toks),
                            sum(t in lx.FILLED_PAUSES for t in toks), {i.key: i.raw for i in sample.indicators}))
    return out


def load_rttm(path: Path) -> dict[str, dict[str, list[tuple[float, float]]]]:
    out: dict[str, dict[str, list[tuple[float, float]]]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        f = line.split()
        if len(f) >= 8 and f[0] == "SPEAKER":
            start, dur = float(f[3]), float(f[4])
            out.setdefault(f[1], {}).setdefault(f[7], []).append((start, min(start + dur, 30.0)))
    return out


def run_ami(models: Models, prosody: ProsodyAnalyzer, cache: Path | None) -> list[Measured]:
    rttm = load_rttm(DATA / "ami" / "train.rttm")
    out: list[Measured] = []
    for flac in sorted((DATA / "ami").glob("trn*.flac")):
        audio = decode_audio(flac, max_seconds=60)
        words = _words_cached(models, audio, f"ami-{flac.stem}", cache)
        analysis, names = analysis_from_truth(audio, words, rttm[flac.stem], models.vad.regions(audio), prosody)
        out += _measure("ami", flac.stem, analysis, names)
    return out


def _lone(audio: np.ndarray, words: Sequence[Word], name: str, regions: Sequence[SpeechRegion],
          prosody: ProsodyAnalyzer) -> tuple[MediaAnalysis, list[str]]:
    return analysis_from_truth(audio, words, {name: [(r.start, r.end) for r in regions]}, regions, prosody)


def run_librispeech(models: Models, prosody: ProsodyAnalyzer, cache: Path | None
                    ) -> tuple[list[Measured], list[Measured]]:
    """(per reader: their 10 utterances played back to back as one ~75 s recording, per utterance)."""
    readers: list[Measured] = []
    utterances: list[Measured] = []
    for folder in sorted(p for p in (DATA / "librispeech").iterdir() if p.is_dir()):
        audios: list[np.ndarray] = []
        joined: list[Word] = []
        offset = 0.0
        for flac in sorted(folder.glob("*.flac")):
            audio = decode_audio(flac, max_seconds=60)
            words = _words_cached(models, audio, f"libri-{flac.stem}", cache)
            analysis, names = _lone(audio, words, folder.name, models.vad.regions(audio), prosody)
            utterances += _measure("librispeech_utterance", flac.stem, analysis, names)
            audios.append(audio)
            joined += [Word(w.start + offset, w.end + offset, w.text, w.probability) for w in words]
            offset += len(audio) / SAMPLE_RATE
        audio = np.concatenate(audios)
        analysis, names = _lone(audio, joined, folder.name, models.vad.regions(audio), prosody)
        readers += _measure("librispeech", folder.name, analysis, names)
    return readers, utterances


def distribution(values: Sequence[float]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    pct = np.percentile(np.asarray(values, dtype=np.float64), PERCENTILES)
    return {"n": len(values), "mean": round(statistics.fmean(values), 2),
            **{f"p{p}": round(float(v), 2) for p, v in zip(PERCENTILES, pct, strict=True)},
            "min": round(min(values), 2), "max": round(max(values), 2)}


def summarize(rows: list[Measured], min_speech: float) -> dict[str, Any]:
    kept = [r for r in rows if r.speech_seconds >= min_speech]
    keys = sorted({k for r in kept for k in r.indicators})
    words = sum(r.words for r in kept)
    fillers = sum(r.fillers for r in kept)
    return {
        "speakers_measured": len(rows), "speakers_kept": len(kept),
        "recordings": len({r.recording for r in kept}), "distinct_speakers": len({r.speaker for r in kept}),
        "speech_seconds": distribution([r.speech_seconds for r in kept]),
        "overlap_share": distribution([r.overlap_seconds / r.speech_seconds for r in kept if r.speech_seconds > 0]),
        "words": words, "filled_pause_tokens": fillers,
        "indicators": {k: distribution([r.indicators[k] for r in kept if k in r.indicators]) for k in keys},
        "calibrated": list(CALIBRATED),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models-dir", type=Path, default=REPO / ".cache" / "models")
    ap.add_argument("--only", choices=("ami", "librispeech"))
    ap.add_argument("--min-speech", type=float, default=5.0, help="drop speakers with less speech (s) from the stats")
    ap.add_argument("--no-cache", action="store_true", help="transcribe again even if a cached transcript exists")
    ap.add_argument("--per-speaker", action="store_true", help="also list every measured speaker")
    ap.add_argument("--out", type=Path, help="also write the JSON here")
    args = ap.parse_args()

    state = transcriber_state()
    cache = None if args.no_cache else REPO / ".cache" / "calibrate" / state["transcribe_py_sha256"][:12]
    models = Models(args.models_dir, cpu_threads=2)
    prosody = ProsodyAnalyzer()
    t0 = time.perf_counter()
    rows: dict[str, list[Measured]] = {}
    if args.only in (None, "ami"):
        rows["ami"] = run_ami(models, prosody, cache)
    if args.only in (None, "librispeech"):
        rows["librispeech"], rows["librispeech_utterance"] = run_librispeech(models, prosody, cache)
    out: dict[str, Any] = {
        "transcriber": {"model": (models.asr_model_dir or args.models_dir / "whisper-base").name,
                        "beam_size": models.beam_size, **state},
        "vad": {"model": "pyannote segmentation-3.0", **dataclasses.asdict(SPEECH)},  # speech seconds follow the VAD
        "min_speech_seconds": args.min_speech,
        "wall_seconds": round(time.perf_counter() - t0, 1),
        "corpora": {name: summarize(r, args.min_speech) for name, r in rows.items()},
    }
    if args.per_speaker:
        out["speakers"] = [{"corpus": r.corpus, "recording": r.recording, "speaker": r.speaker,
                            "speech_seconds": r.speech_seconds, "overlap_seconds": r.overlap_seconds,
                            "words": r.words, "fillers": r.fillers, "indicators": r.indicators}
                           for rs in rows.values() for r in rs]
    text = json.dumps(out, indent=2, ensure_ascii=False)
    if args.out is not None:
        args.out.write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
