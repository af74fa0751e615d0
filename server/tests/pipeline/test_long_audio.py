"""Long recordings: the decoded audio is streamed to disk in bounded chunks and read back by slices, ASR runs in
bounded pieces, and a long silent upload is cheap in memory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from conduit_server.pipeline.asr_pieces import plan_pieces, transcribe_pieces
from conduit_server.pipeline.audio import decode_audio, decode_chunks
from conduit_server.pipeline.models import Models
from conduit_server.pipeline.pcm import PcmFile
from conduit_server.pipeline.pipeline import SpeechPipeline
from conduit_server.pipeline.vad import SpeechRegion
from fixtures import speech

SR = 16000


@pytest.mark.parametrize("container", ["wav", "mp3"])
def test_decode_chunks_are_bounded_and_add_up_to_the_recording(container: str) -> None:
    path = speech.two_speaker_short(container=container).path
    chunks = list(decode_chunks(path, max_seconds=600, chunk_seconds=2.0))
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert {c.size for c in chunks[:-1]} == {2 * SR} and 0 < chunks[-1].size <= 2 * SR
    whole = np.concatenate(chunks)
    if container == "wav":  # lossless: exactly the 16-bit samples the generator wrote
        assert np.array_equal(whole, speech._read_wav(path))
    assert len(whole) / SR == pytest.approx(speech.two_speaker_short().duration, abs=0.1)


def test_pcm_file_slices_read_back_the_decoded_samples(tmp_path: Path) -> None:
    path = speech.two_speaker_short(container="mp3").path
    full = decode_audio(path, max_seconds=600)
    with PcmFile(tmp_path) as pcm:
        pcm.extend(decode_chunks(path, max_seconds=600, chunk_seconds=1.0))
        assert len(pcm) == len(full)
        n = len(full)
        for a, b in [(0, n), (0, 1), (SR - 5, SR + 5), (3 * SR + 17, 9 * SR + 3), (n - 10, n + 500), (-100, None),
                     (50, 10)]:
            assert np.array_equal(pcm[a:b], full[a:b]), (a, b)
        assert list(tmp_path.iterdir()) == []  # anonymous: nothing to leak if the worker dies
    with PcmFile(tmp_path) as pcm, pytest.raises(ValueError):
        pcm[0:10:2]


def test_plan_pieces_cut_long_audio_at_silences() -> None:
    short = [SpeechRegion(1.0, 5.0)]
    assert plan_pieces(short, 500.0) == [(0.0, 500.0)]  # up to the cap: transcribed whole, as before
    regions = [SpeechRegion(10.0, 50.0), SpeechRegion(60.0, 100.0), SpeechRegion(110.0, 140.0),  # one talk
               SpeechRegion(1000.0, 1005.0),  # after 14 min of silence
               SpeechRegion(2000.0, 2350.0)]  # talk with no pause, longer than a piece
    pieces = plan_pieces(regions, 3600.0, max_piece=120.0)
    assert all(0 < b - a <= 120.0 for a, b in pieces)
    assert all(b1 <= a2 for (_, b1), (a2, _) in zip(pieces, pieces[1:], strict=False))
    for r in regions:  # every second of speech is in a piece
        t = np.arange(r.start, r.end, 0.1)
        assert all(any(a <= x <= b for a, b in pieces) for x in t), r
    assert sum(b - a for a, b in pieces) < 600  # the silence is not transcribed
    # the first two regions share a piece; the third would make it too long: cut in the pause before it, with
    # 1 s of context kept on either side
    assert pieces[:2] == [(9.0, 101.0), (109.0, 141.0)]
    assert plan_pieces([], 3600.0) == []


@pytest.mark.slow
def test_pieces_transcribe_like_the_whole_recording(models: Models) -> None:
    conv = speech.two_speaker_short()
    audio = decode_audio(conv.path, max_seconds=600)
    regions = models.vad.regions(audio)
    duration = len(audio) / SR
    pieces = plan_pieces(regions, duration, max_piece=12.0, max_gap=0.0)
    assert len(pieces) >= 3
    seen: list[float] = []
    whole = models.transcriber.transcribe(audio, language="en")
    parts = transcribe_pieces(models.transcriber, audio, pieces, language="en", progress=seen.append)
    text = " ".join(w.text for w in parts.words)
    print(f"{len(pieces)} pieces: WER {speech.wer(conv.text, text):.3f}, whole "
          f"{speech.wer(conv.text, ' '.join(w.text for w in whole.words)):.3f}")
    assert speech.wer(conv.text, text) <= 0.10
    assert seen == sorted(seen) and seen[-1] == pytest.approx(1.0)
    # the same words land at the same times as in one pass over the whole recording
    starts = np.array([w.start for w in whole.words])
    assert np.median([np.min(np.abs(starts - w.start)) for w in parts.words]) < 0.1


@pytest.mark.slow
def test_pipeline_in_asr_pieces_keeps_accuracy(models: Models) -> None:
    conv = speech.two_speaker_short()
    result = SpeechPipeline(models, language="en", max_seconds=600, asr_piece_seconds=12.0).run(conv.path)
    hyp = " ".join(u.text for u in result.utterances)
    accuracy = speech.diarization_accuracy(conv, [(u.start, u.end, u.speaker_index) for u in result.utterances])
    print(f"WER {speech.wer(conv.text, hyp):.3f} diarization {accuracy:.4f}")
    assert len(result.speakers) == 2 and accuracy >= 0.97 and speech.wer(conv.text, hyp) <= 0.10


_SILENT_RUN = textwrap.dedent("""
    import json, sys
    from pathlib import Path
    from conduit_server.pipeline.models import Models
    from conduit_server.pipeline.pipeline import SpeechPipeline

    def status(field):
        line = next(x for x in Path("/proc/self/status").read_text().splitlines() if x.startswith(field + ":"))
        return int(line.split()[1]) * 1024

    pipeline = SpeechPipeline(Models(Path(sys.argv[3])), max_seconds=4 * 3600, tmp_dir=Path(sys.argv[4]))

    def peak(path):  # what a run adds at its peak to the memory before it
        base = status("VmRSS")
        Path("/proc/self/clear_refs").write_text("5")  # reset the peak (VmHWM) to now
        result = pipeline.run(path)
        return status("VmHWM") - base, result

    pipeline.run(Path(sys.argv[2]))  # loads the model
    # Each peak is the lower of two runs: a single run's peak now and then carries 10-20 MB of allocator/arena
    # growth unrelated to the length (measured 0.5 to 23 MB for the same files), which is noise, not memory use.
    short = min(peak(Path(sys.argv[2]))[0] for _ in range(2))  # onnxruntime's working memory per batch (~80 MB)
    runs = [peak(Path(sys.argv[1])) for _ in range(2)]
    long, result = min(runs, key=lambda run: run[0])
    print(json.dumps({"short_peak_bytes": short, "peak_bytes": long, "duration": result.duration_seconds,
                      "speakers": len(result.speakers), "utterances": len(result.utterances),
                      "loaded": pipeline.models.loaded}))
""")


@pytest.mark.slow
def test_long_silence_completes_empty_in_bounded_memory(tmp_path: Path, models_dir: Path) -> None:
    minutes = 20
    path = tmp_path / "silence.flac"  # 20 min of digital silence: a few kB, an attacker's cheap upload
    short = tmp_path / "short.flac"
    for p, seconds in ((path, minutes * 60), (short, 60)):
        subprocess.run(["sox", "-n", "-r", "16000", "-c", "1", str(p), "trim", "0", str(seconds)], check=True)
    work = tmp_path / "work"
    work.mkdir()
    done = subprocess.run([sys.executable, "-c", _SILENT_RUN, str(path), str(short), str(models_dir), str(work)],
                          capture_output=True, text=True, timeout=900, env=os.environ.copy())
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    full_array = minutes * 60 * SR * 4  # what holding the decoded audio costs: 77 MB
    growth = out["peak_bytes"] - out["short_peak_bytes"]
    print(f"{path.stat().st_size} B file: peak +{out['peak_bytes'] / 2**20:.1f} MB, "
          f"{growth / 2**20:.1f} MB more than for 1 min (whole array {full_array / 2**20:.0f} MB), {out}")
    assert out["duration"] == pytest.approx(minutes * 60, abs=0.1)
    assert out["speakers"] == 0 and out["utterances"] == 0
    assert not out["loaded"]["asr"] and not out["loaded"]["embedder"]  # nothing to embed or transcribe
    assert growth < full_array / 4
    assert list(work.iterdir()) == []
