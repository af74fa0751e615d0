"""ASR of a long recording one bounded piece at a time, so its audio never has to be in memory at once.

faster-whisper takes the audio as one array. A recording up to `MAX_PIECE_S` is still transcribed whole, exactly
as before (10 min of float32 is 38 MB). A longer one is cut into pieces of at most `MAX_PIECE_S`, at silences:
detected speech regions less than `MAX_GAP_S` apart share a piece, with `EDGE_S` of context around its speech
(never past the middle of the silence to the next piece); a longer stretch without detected speech is not
transcribed at all, as its words would be dropped anyway (`asr_gaps.words_in_speech`). Speech that runs on
longer than a piece with no pause the detector keeps (0.25 s) is cut into equal parts. The first piece's language
(detected, when none was asked for) is used for every later piece, so one recording gets one language.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from conduit_server.pipeline.pcm import Samples
from conduit_server.pipeline.transcribe import Transcriber, Transcript
from conduit_server.pipeline.types import AbortCheck, Aborted, Word
from conduit_server.pipeline.vad import SAMPLE_RATE, SpeechRegion

MAX_PIECE_S = 600.0
MAX_GAP_S = 30.0  # a silence shorter than this costs at most one extra 30 s Whisper window: not worth a cut
EDGE_S = 1.0

__all__ = ["EDGE_S", "MAX_GAP_S", "MAX_PIECE_S", "plan_pieces", "transcribe_pieces"]


def plan_pieces(regions: Sequence[SpeechRegion], duration: float, *, max_piece: float = MAX_PIECE_S,
                max_gap: float = MAX_GAP_S, edge: float = EDGE_S) -> list[tuple[float, float]]:
    """(start, end) seconds of the pieces to transcribe, sorted, disjoint, each at most `max_piece` long.
    `regions` sorted by start."""
    if duration <= max_piece:
        return [(0.0, duration)]
    spans: list[list[float]] = []  # [first region start, last region end] of the regions that share a piece
    for r in regions:
        if spans and r.start - spans[-1][1] <= max_gap and r.end - spans[-1][0] <= max_piece - 2 * edge:
            spans[-1][1] = r.end
        else:
            spans.append([r.start, r.end])
    pieces: list[tuple[float, float]] = []
    for i, (a, b) in enumerate(spans):
        lo = max(0.0, a - edge, (spans[i - 1][1] + a) / 2 if i else 0.0)
        hi = min(duration, b + edge, (b + spans[i + 1][0]) / 2 if i + 1 < len(spans) else duration)
        parts = max(1, math.ceil((hi - lo) / max_piece))
        step = (hi - lo) / parts
        pieces.extend((lo + k * step, hi if k == parts - 1 else lo + (k + 1) * step) for k in range(parts))
    return pieces


def _scaled(progress: Callable[[float], None], base: float, share: float) -> Callable[[float], None]:
    return lambda f: progress(base + f * share)


def transcribe_pieces(
    transcriber: Transcriber,
    audio: Samples,
    pieces: Sequence[tuple[float, float]],
    *,
    language: str | None = None,
    progress: Callable[[float], None] | None = None,
    should_abort: AbortCheck | None = None,
) -> Transcript:
    """One transcript of all `pieces` of `audio`, word times in seconds from the start of the recording."""
    total = max(sum(b - a for a, b in pieces), 1e-9)
    words: list[Word] = []
    first: Transcript | None = None
    done = 0.0
    for start, end in pieces:
        if should_abort is not None and should_abort():
            raise Aborted("aborted during transcription")
        lo, hi = round(start * SAMPLE_RATE), round(end * SAMPLE_RATE)
        span = end - start
        part = transcriber.transcribe(
            audio[lo:hi], language=first.language if first else language, should_abort=should_abort,
            progress=None if progress is None else _scaled(progress, done / total, span / total))
        first = first or part
        offset = lo / SAMPLE_RATE
        words.extend(Word(w.start + offset, w.end + offset, w.text, w.probability) for w in part.words)
        done += span
        if progress is not None:
            progress(done / total)
    if first is None:
        return Transcript((), language or "en", 0.0)
    return Transcript(tuple(words), first.language, first.language_probability)
