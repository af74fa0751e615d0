"""`measure_sample`: the behavioral indicators of one speaker in one recording (formulas: docs/metrics.md)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass

from conduit_server.domain import lexicon as lx
from conduit_server.pipeline.types import InsufficientSpeechError, MediaAnalysis, Utterance

from . import timeline as tl
from .reference import REFERENCES, bin_of, normalize
from .reliability import assess
from .sample import Evidence, Indicator, Sample

MAX_EVIDENCE = 3
QUOTE_CHARS = 80


@dataclass(frozen=True, slots=True)
class _Hit:
    """An utterance that shows an indicator; `score` ranks it (higher = shown first)."""

    score: float
    utterance: Utterance
    note: str


@dataclass(frozen=True, slots=True)
class _Lang:
    """Lexicon counts of one utterance."""

    n_words: int
    fillers: list[str]
    hedges: list[str]
    certainty: list[str]
    singular: int
    plural: int
    future: list[str]
    past: list[str]
    questions: int


def _lang(u: Utterance) -> _Lang:
    toks = lx.tokens(u.text)
    return _Lang(
        n_words=len(toks),
        fillers=[t for t in toks if t in lx.FILLED_PAUSES],
        hedges=lx.count_phrases(toks, lx.HEDGES),
        certainty=lx.count_phrases(toks, lx.CERTAINTY, skip_after=lx.NEGATIONS),
        singular=sum(t in lx.FIRST_SINGULAR for t in toks),
        plural=sum(t in lx.FIRST_PLURAL for t in toks),
        future=lx.count_phrases(toks, lx.FUTURE),
        past=lx.count_phrases(toks, lx.PAST),
        questions=sum(lx.is_question(s) for s in lx.sentences(u.text)),
    )


def quote(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= QUOTE_CHARS:
        return text
    cut = text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0]
    return cut + "\u2026"


def _evidence(hits: list[_Hit]) -> tuple[Evidence, ...]:
    best = sorted((h for h in hits if h.utterance.text.strip()), key=lambda h: (-h.score, h.utterance.start))
    chosen = sorted(best[:MAX_EVIDENCE], key=lambda h: h.utterance.start)
    return tuple(Evidence(round(h.utterance.start, 3), round(h.utterance.end, 3), quote(h.utterance.text), h.note)
                 for h in chosen)


def _indicator(key: str, raw: float, hits: list[_Hit] | Callable[[bool], list[_Hit]], *, norm: float | None = None
               ) -> Indicator:
    """`hits` may depend on the direction: a callable gets `high` (normalized >= 0.5) and returns the utterances
    that show that side (the fastest turns for a fast speaker, the slowest for a slow one)."""
    raw = round(raw, 2)
    n = normalize(key, raw) if norm is None else round(norm, 2)
    chosen = hits(n >= 0.5) if callable(hits) else hits
    return Indicator(key, raw, REFERENCES[key].unit, n, bin_of(n), _evidence(chosen))


def _signed(high: bool, value: float) -> float:
    return value if high else -value


def measure_sample(analysis: MediaAnalysis, speaker_index: int) -> Sample:
    """Indicators for one speaker; raises `InsufficientSpeechError` when the speaker said no words."""
    speaker = analysis.speaker(speaker_index)
    own = sorted(analysis.utterances_of(speaker_index), key=lambda u: (u.start, u.end))
    langs = {id(u): _lang(u) for u in own}
    n_words = sum(lg.n_words for lg in langs.values())
    if n_words == 0:
        raise InsufficientSpeechError(f"speaker {speaker_index} has no transcribed words")
    seconds = speaker.speech_seconds if speaker.speech_seconds > 0 else sum(u.end - u.start for u in own)
    minutes = seconds / 60.0

    def L(u: Utterance) -> _Lang:  # noqa: N802 - short accessor
        return langs[id(u)]

    def local_wpm(u: Utterance) -> float:
        return L(u).n_words / max(u.end - u.start, 1e-6) * 60.0

    pauses = tl.pauses(analysis, speaker_index)
    inds: list[Indicator] = []

    # --- prosody
    pitch_sd = speaker.prosody.pitch_sd_semitones
    pitched = [u for u in own if u.pitch_sd_semitones is not None]
    if pitch_sd is None and pitched:
        total = sum(u.end - u.start for u in pitched)
        pitch_sd = sum((u.pitch_sd_semitones or 0.0) * (u.end - u.start) for u in pitched) / max(total, 1e-9)
    if pitch_sd is not None:
        inds.append(_indicator("pitch_variability", pitch_sd, lambda hi: [
            _Hit(_signed(hi, u.pitch_sd_semitones or 0.0), u, f"pitch SD {u.pitch_sd_semitones:.1f} st in this turn")
            for u in pitched]))
    loud = [u for u in own if u.intensity_mean_db is not None]
    int_sd = speaker.prosody.intensity_sd_db
    if int_sd is None and len(loud) >= 2:
        int_sd = statistics.pstdev(u.intensity_mean_db or 0.0 for u in loud)
    if int_sd is not None:
        mean_db = statistics.fmean(u.intensity_mean_db or 0.0 for u in loud) if loud else 0.0
        inds.append(_indicator("intensity_variability", int_sd, [
            _Hit(abs((u.intensity_mean_db or 0.0) - mean_db), u, f"mean intensity {u.intensity_mean_db:.0f} dB")
            for u in loud]))

    # --- tempo
    wpm = n_words / minutes
    inds.append(_indicator("speech_rate", wpm, lambda hi: [
        _Hit(_signed(hi, local_wpm(u)), u, f"{local_wpm(u):.0f} words per minute in this turn") for u in own]))
    spoken = sum(u.end - u.start for u in own)
    in_utt_pauses = sum(p.seconds for p in pauses if p.start >= p.utterance.start)
    phonation = max(spoken - in_utt_pauses, 1e-6)
    inds.append(_indicator("articulation_rate", n_words / phonation * 60.0, lambda hi: [
        _Hit(_signed(hi, local_wpm(u)), u, f"{local_wpm(u):.0f} words per minute in this turn") for u in own]))

    # --- pauses and hesitations
    fillers = sum(len(L(u).fillers) for u in own)
    inds.append(_indicator("filled_pauses", fillers / n_words * 100.0, [
        _Hit(len(L(u).fillers), u, "filled pause: " + ", ".join(L(u).fillers)) for u in own if L(u).fillers]))
    long_p = [p for p in pauses if p.seconds >= tl.LONG_PAUSE_SECONDS]
    inds.append(_indicator("long_pauses", len(long_p) / minutes, [
        _Hit(p.seconds, p.utterance, f"{p.seconds:.1f} s pause") for p in long_p]))

    # --- turn-taking
    inds.extend(_turn_taking(analysis, speaker_index, seconds, minutes))

    # --- questions
    q_utts = [u for u in own if L(u).questions]
    q_hits = [_Hit(L(u).questions, u, "question") for u in q_utts]
    inds.append(_indicator("question_rate", sum(L(u).questions for u in own) / minutes, q_hits))
    inds.append(_indicator("question_share", len(q_utts) / len(own), q_hits))

    # --- language
    hedges = sum(len(L(u).hedges) for u in own)
    certain = sum(len(L(u).certainty) for u in own)
    inds.append(_indicator("hedge_rate", hedges / n_words * 100.0, [
        _Hit(len(L(u).hedges), u, "hedge: " + ", ".join(L(u).hedges)) for u in own if L(u).hedges]))
    inds.append(_indicator("certainty_ratio", (certain + 0.5) / (hedges + certain + 1.0), lambda hi: [
        _Hit(len(L(u).certainty if hi else L(u).hedges), u,
             ("certainty: " + ", ".join(L(u).certainty)) if hi else ("hedge: " + ", ".join(L(u).hedges)))
        for u in own if (L(u).certainty if hi else L(u).hedges)]))
    sing = sum(L(u).singular for u in own)
    plur = sum(L(u).plural for u in own)
    inds.append(_indicator("we_ratio", (plur + 0.5) / (sing + plur + 1.0), lambda hi: [
        _Hit(L(u).plural if hi else L(u).singular, u, f"{L(u).plural} we-words, {L(u).singular} I-words")
        for u in own if (L(u).plural if hi else L(u).singular)]))
    # imported here, not at module top: the API process imports this package to validate and route requests
    # and must stay free of the analysis-only libraries (server/tests/test_layers.py)
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    vader = SentimentIntensityAnalyzer()
    compound = {id(u): float(vader.polarity_scores(u.text)["compound"]) for u in own}
    tone = sum(compound[id(u)] * L(u).n_words for u in own) / n_words
    inds.append(_indicator("tone", tone, lambda hi: [
        _Hit(_signed(hi, compound[id(u)]), u, f"VADER compound {compound[id(u)]:+.2f}") for u in own
        if compound[id(u)] != 0.0]))
    fut = sum(len(L(u).future) for u in own)
    past = sum(len(L(u).past) for u in own)
    inds.append(_indicator("future_orientation", (fut + 0.5) / (fut + past + 1.0), lambda hi: [
        _Hit(len(L(u).future if hi else L(u).past), u,
             ("future: " if hi else "past: ") + ", ".join(L(u).future if hi else L(u).past))
        for u in own if (L(u).future if hi else L(u).past)]))

    metrics = {
        "speechSeconds": round(seconds, 3),
        "utteranceCount": len(own),
        "wordsPerMinute": round(wpm, 1),
        "meanPauseSeconds": round(statistics.fmean(p.seconds for p in pauses), 2) if pauses else 0.0,
    }
    order = {k: i for i, k in enumerate(REFERENCES)}
    return Sample(speaker_index, round(seconds, 3), metrics, tuple(sorted(inds, key=lambda i: order[i.key])),
                  assess(analysis, speaker_index, seconds))


def _turn_taking(analysis: MediaAnalysis, idx: int, seconds: float, minutes: float) -> list[Indicator]:
    out: list[Indicator] = []
    speaking = [s for s in analysis.speakers if s.speech_seconds > 0]
    total = sum(s.speech_seconds for s in speaking)
    share = seconds / total if total > 0 else 1.0
    # An equal share (1/n) maps to 0.5 whatever the number of speakers; a lone speaker is "medium".
    n = max(len(speaking), 1)
    longest = max(tl.turns(analysis), key=lambda t: (t.speaker_index == idx, t.end - t.start))
    own_utts = sorted(analysis.utterances_of(idx), key=lambda u: (-(u.end - u.start), u.start))
    out.append(_indicator("talk_share", share, [
        _Hit(u.end - u.start, u, f"{u.end - u.start:.1f} s turn") for u in own_utts[:MAX_EVIDENCE]],
        norm=min(1.0, share * n / 2.0)))
    mine = [t for t in tl.turns(analysis) if t.speaker_index == idx]
    lengths = [t.end - t.start for t in mine]
    out.append(_indicator("mean_turn_length", statistics.fmean(lengths), lambda hi: [
        _Hit(_signed(hi, t.end - t.start), t.utterances[0], f"turn of {t.end - t.start:.1f} s") for t in mine]))
    out.append(_indicator("longest_monologue", max(lengths), [
        _Hit(u.end - u.start, u, f"part of a {longest.end - longest.start:.1f} s turn") for u in longest.utterances]))
    changes = tl.changes(analysis)
    made = [c for c in changes if c.is_interruption and c.after.speaker_index == idx]
    received = [c for c in changes if c.is_interruption and c.before.speaker_index == idx]
    out.append(_indicator("interruptions_made", len(made) / minutes, [
        _Hit(-c.gap, c.after, f"started {c.gap:+.2f} s after speaker index {c.before.speaker_index}") for c in made]))
    out.append(_indicator("interruptions_received", len(received) / minutes, [
        _Hit(-c.gap, c.before, f"speaker index {c.after.speaker_index} came in {c.gap:+.2f} s after this")
        for c in received]))
    replies = [c for c in changes if c.after.speaker_index == idx]
    if replies:
        lat = statistics.fmean(max(c.gap, 0.0) for c in replies)
        out.append(_indicator("response_latency", lat, lambda hi: [
            _Hit(_signed(hi, max(c.gap, 0.0)), c.after, f"answered after {max(c.gap, 0.0):.2f} s") for c in replies]))
    return out
