"""Small curated English word lists for the language indicators (analysis/indicators.py).

In `domain` because two layers share them: transcription restores the filled pauses Whisper drops
(pipeline/transcribe.py) and the disfluency indicators count the same list, so the two always agree.

Written by hand for this project (not copied from a licensed lexicon). Multi-word entries are matched as whole
token sequences. Lists are deliberately short: precision over recall, so a hit is worth quoting as evidence.
"""

from __future__ import annotations

import re

# Spellings Whisper writes (lowercased by `tokens`; stretched ones like "Ummm" or "Hmmm" included). Hyphens split
# tokens, so the backchannels "mm-hmm" and "uh-huh" count as "mm" + "hmm" and "uh" (+ "huh", not a filler).
FILLED_PAUSES = frozenset({
    "um", "umm", "ummm", "uh", "uhh", "uhhh", "uhm", "er", "erm", "hmm", "hmmm", "hm", "mm", "mmm", "ah",
})

HEDGES = (
    "maybe", "perhaps", "possibly", "probably", "i think", "i guess", "i suppose", "i believe", "sort of",
    "kind of", "might", "could be", "not sure", "i'm not sure", "somewhat", "apparently", "seems", "it seems",
    "roughly", "more or less", "i feel like", "likely", "presumably", "in a way",
)

CERTAINTY = (
    "definitely", "certainly", "clearly", "absolutely", "always", "never", "obviously", "of course", "sure",
    "i know", "without doubt", "exactly", "undoubtedly", "must", "will", "guaranteed", "precisely", "for sure",
    "no doubt", "certain",
)

FIRST_SINGULAR = frozenset({"i", "me", "my", "mine", "myself", "i'm", "i've", "i'll", "i'd"})
FIRST_PLURAL = frozenset({"we", "us", "our", "ours", "ourselves", "we're", "we've", "we'll", "we'd", "let's"})

FUTURE = (
    "will", "won't", "going to", "gonna", "plan", "plans", "planning", "next", "tomorrow", "soon", "future",
    "later", "i'll", "we'll", "you'll", "they'll", "it'll", "upcoming", "intend", "goal", "goals",
)
PAST = (
    "was", "were", "had", "did", "didn't", "yesterday", "ago", "last", "used to", "previously", "before",
    "earlier", "back then", "already", "went", "said", "told",
)

# A sentence is a question when it ends in '?' or opens with one of these (ASR often drops the '?').
QUESTION_OPENERS = frozenset({
    "what", "why", "how", "when", "where", "who", "whom", "whose", "which", "do", "does", "did", "is", "are",
    "was", "were", "can", "could", "would", "will", "should", "shall", "have", "has", "may", "am", "isn't",
    "aren't", "don't", "doesn't", "didn't", "won't", "wouldn't", "couldn't", "shouldn't",
})

_TOKEN = re.compile(r"[a-z]+(?:'[a-z]+)?")
_SENTENCE = re.compile(r"[^.?!]+[.?!]?")


def tokens(text: str) -> list[str]:
    """Lowercase word tokens; apostrophes are normalised so "I’m" and "I'm" match the same entry."""
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


NEGATIONS = frozenset({"not", "never", "no", "don't", "isn't", "wasn't"})


def count_phrases(toks: list[str], phrases: tuple[str, ...], *, skip_after: frozenset[str] = frozenset()) -> list[str]:
    """Every phrase occurrence, longest first so 'i think' is not also 'think'. A match right after a word in
    `skip_after` is ignored ("not sure" is a hedge, not certainty)."""
    found: list[str] = []
    split = sorted((p.split() for p in phrases), key=len, reverse=True)
    used = [False] * len(toks)
    for parts in split:
        n = len(parts)
        for i in range(len(toks) - n + 1):
            if i > 0 and toks[i - 1] in skip_after:
                continue
            if toks[i : i + n] == parts and not any(used[i : i + n]):
                found.append(" ".join(parts))
                for j in range(i, i + n):
                    used[j] = True
    return found


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.findall(text) if s.strip()]


def is_question(sentence: str) -> bool:
    if sentence.rstrip().endswith("?"):
        return True
    toks = tokens(sentence)
    return bool(toks) and toks[0] in QUESTION_OPENERS and not sentence.rstrip().endswith((".", "!"))
