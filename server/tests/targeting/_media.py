"""Hand-built `MediaAnalysis` objects for the targeting tests."""

from __future__ import annotations

from conduit_server.pipeline.types import MediaAnalysis, Speaker, Utterance


def media(turns: list[tuple[int, str]] | list[tuple[int, float, float, str]], *, gap: float = 0.5) -> MediaAnalysis:
    """Turns are `(speaker, text)` (timed at ~0.4 s per word, back to back) or `(speaker, start, end, text)`."""
    utterances: list[Utterance] = []
    clock = 0.0
    for turn in turns:
        if len(turn) == 2:
            speaker, text = turn  # type: ignore[misc]
            start, end = clock, clock + max(0.5, 0.4 * len(text.split()))
        else:
            speaker, start, end, text = turn  # type: ignore[misc]
        utterances.append(Utterance(speaker_index=speaker, start=start, end=end, text=text))
        clock = end + gap
    indexes = sorted({u.speaker_index for u in utterances})
    speakers = tuple(
        Speaker(
            index=i,
            speech_seconds=round(sum(u.end - u.start for u in utterances if u.speaker_index == i), 3),
            utterance_count=sum(1 for u in utterances if u.speaker_index == i),
        )
        for i in indexes
    )
    return MediaAnalysis(duration_seconds=clock, speakers=speakers, utterances=tuple(utterances))


def speakers_only(seconds: dict[int, float]) -> MediaAnalysis:
    """Speakers without a transcript (speech seconds only)."""
    return MediaAnalysis(
        duration_seconds=sum(seconds.values()),
        speakers=tuple(Speaker(index=i, speech_seconds=s, utterance_count=0) for i, s in sorted(seconds.items())),
        utterances=(),
    )
