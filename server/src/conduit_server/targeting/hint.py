"""The `magic_hint` target strategy: which speaker does a free-text hint describe?

Deterministic and explainable - regular expressions, word lists and counts over the diarized transcript; no model,
no download. The hint is read for *cues*; each cue gives every speaker a score; the scores are summed and the best
speaker wins only if it beats the runner-up by `MARGIN`. Anything else is a miss (`speaker_index=None`).

Cues (weights in brackets):

- **name** [2.0] - a hint word that is a name heard in the recording. Evidence per speaker: introducing oneself
  ("I'm Dana", "my name is Dana", "this is Dana", "Dana here") +2; being addressed ("thanks, Dana",
  "hi Dana", "Dana, could you...", "what do you think, Dana?") +1 to the neighbouring turns of other speakers
  (the next one; the previous one too, half as much unless it is a thank-you) and -1 to whoever said it.
- **role** [1.0] - asker roles (interviewer, host, salesperson, agent, recruiter, manager, "asking questions")
  versus answerer roles (candidate, interviewee, applicant, customer, prospect, client, guest, "being
  interviewed", "answering"). Asker evidence per speaker: share of question sentences (ends with "?", starts with
  a wh-/auxiliary question form or a prompt such as "tell me about"), speaking first, the share of their turns
  that answer another speaker's question (negative), and role vocabulary in their own words ("our product",
  "pricing", "the role" vs "my experience", "I worked at", "our budget"). The first role word of the hint is
  the target's role ("the customer talking to the salesperson" is the customer). Speech *time* is not used, so an
  interviewer with long questions is still the interviewer. Sales calls weigh vocabulary over questions, because
  customers ask questions too.
- **order** [1.0] - "the first speaker", "second person", "the last speaker" (order of first speech);
  "the one who speaks last" (the final turn).
- **amount** [1.0] - "the one who talks most" (speech seconds / most), "talks least", "the quiet one".

Never inferred: gender, age, ethnicity. A hint that describes the person by such terms ("the woman", "the older
man") keeps only its name cue, so without a name it is a miss - the voice is never used to guess. Limits: English
transcripts only; roles need a question/answer or sales/interview structure; names need cased transcripts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from conduit_server.pipeline.types import MediaAnalysis, Utterance

__all__ = ["MARGIN", "HintMatch", "match_hint"]

MARGIN = 0.15  # best score minus runner-up needed for a confident match
_NAME_WEIGHT = 2.0

_PROTECTED = re.compile(
    r"\b(wom[ae]n|m[ae]n|female|male|lady|ladies|gentlem[ae]n|girls?|boys?|guys?|gals?|"
    r"old|older|oldest|elderly|aged|young|younger|youngest|youth|teen(ager)?s?|kids?|child(ren)?|"
    r"black|white|asian|hispanic|latin[oax]|caucasian|african|arab|ethnic\w*|race|racial|accent\w*)\b",
    re.I,
)

# role word -> (True = asks / False = answers, domain); domain None = any
_ROLES: list[tuple[str, bool, str | None]] = [
    (r"being interviewed|interviewee|job (?:candidate|seeker)|candidate|applicant", False, "interview"),
    (r"interviewer|interviewing|recruiter|hiring manager", True, "interview"),
    (r"sales ?(?:person|man|woman|rep(?:resentative)?)|seller|vendor|account executive|sales", True, "sales"),
    (r"(?:potential |prospective )?(?:customer|buyer|prospect|client)s?", False, "sales"),
    (r"(?:support |service )?agent|representative|rep", True, "support"),
    (r"caller", False, "support"),
    (r"host|moderator|manager|doctor|therapist|coach", True, None),
    (r"guest|patient|employee", False, None),
    (r"ask(?:s|ing|ed)?(?: the)?(?: most)? questions?|the one asking|who asks|questioner", True, None),
    (r"answer(?:s|ing|ed)?(?: the)?(?: questions?)?|responding|respondent", False, None),
]
_ROLE_RE = [(re.compile(rf"\b(?:{pattern})\b", re.I), asks, domain) for pattern, asks, domain in _ROLES]

# (asker phrases, answerer phrases) per domain, matched in a speaker's own words
# fmt: off
_LEXICON: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "interview": (
        ("tell me about", "walk me through", "your experience", "your background", "your resume", "the role",
         "this role", "the position", "this position", "why do you want", "interviewing you", "we're hiring",
         "next steps", "thanks for coming", "any questions for me", "your strengths", "your weakness"),
        ("my experience", "i worked at", "i worked on", "i've worked", "i have worked", "my previous", "my last job",
         "my current role", "in my role", "i was responsible", "i led", "i managed", "i built", "my background",
         "i studied", "i graduated", "my degree", "years of experience", "i'm passionate", "i applied"),
    ),
    "sales": (
        ("our product", "our platform", "our solution", "our software", "our pricing", "pricing", "we offer",
         "we provide", "free trial", "demo", "discount", "per seat", "per user", "per month", "our customers",
         "our clients", "let me show you", "onboarding", "contract", "package", "i can send you", "roi"),
        ("our budget", "budget", "we're currently using", "we currently use", "we use", "we're looking for",
         "we're evaluating", "how much", "too expensive", "the cost", "my boss", "check with", "our current",
         "our process", "we need", "for us", "competitor"),
    ),
    "support": (
        ("how can i help", "how may i help", "thank you for calling", "thanks for calling", "let me check",
         "your account", "your order", "i can help", "ticket", "i apologize for"),
        ("my account", "my order", "i'm calling about", "i have a problem", "doesn't work", "isn't working", "i can't",
         "i need help", "my bill"),
    ),
}
# question-ratio / first / answered / vocabulary weights per domain
_ROLE_WEIGHTS = {"interview": (1.0, 0.1, 0.5, 0.8), "sales": (0.4, 0.1, 0.2, 1.2), "support": (0.6, 0.1, 0.3, 1.0)}
_DEFAULT_WEIGHTS = (1.0, 0.1, 0.5, 0.8)  # first alone (0.1) stays under MARGIN

_ORDINALS = {
    "first": 0, "1st": 0, "second": 1, "2nd": 1, "third": 2, "3rd": 2, "fourth": 3, "4th": 3, "fifth": 4, "5th": 4,
    "last": -1, "final": -1,
}
_ORDER_NOUN = re.compile(
    r"\b(first|1st|second|2nd|third|3rd|fourth|4th|fifth|5th|last|final)\s+(?:speaker|person|voice|one|"
    r"participant|talker|to (?:speak|talk))\b",
    re.I,
)
_ORDER_VERB = re.compile(r"\b(?:speaks?|spoke|talks?|talked|speaking|talking)\s+(first|second|third|last)\b", re.I)
_OPENS = re.compile(r"\b(?:starts|started|opens|opened) the (?:call|conversation|meeting|interview)\b", re.I)
_MOST = re.compile(
    r"\b(?:(?:talks?|speaks?|spoke|talked|says|said|talking|speaking)\s+(?:the\s+)?(?:most|more|longest)|"
    r"most talkative|main speaker|dominant|most of the talking|talks a lot)\b",
    re.I,
)
_LEAST = re.compile(
    r"\b(?:(?:talks?|speaks?|spoke|talked|says|said|talking|speaking)\s+(?:the\s+)?(?:least|less)|"
    r"quiet(?:er|est)?(?:\s+(?:one|person|speaker))?|least talkative|says little|barely)\b",
    re.I,
)

_WH = {"what", "why", "how", "when", "where", "who", "which", "whose", "whom"}
_AUX = {
    "do", "does", "did", "are", "is", "was", "were", "can", "could", "would", "will", "should", "shall", "may",
    "have", "has", "had", "am", "won't", "don't", "doesn't", "didn't", "isn't", "aren't", "wouldn't",
}
_SUBJECT = {"you", "we", "i", "they", "he", "she", "it", "there", "that", "this", "your", "the", "anyone"}
_PROMPT = re.compile(
    r"^(?:so,?\s+|and\s+|now,?\s+|okay,?\s+)?(?:tell me|walk me through|talk me through|"
    r"describe|give me an example|share)\b",
    re.I,
)

_NAME = r"(?:(?:Mr|Ms|Mrs|Dr)\.?\s+)?([A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?)(?:\s+([A-Z][a-z]+(?:-[A-Z][a-z]+)?))?"
_SELF = [
    re.compile(p)
    for p in (
        rf"\b(?:[Ii]'m|[Ii] am|[Mm]y name is|[Mm]y name's|[Tt]his is|[Cc]all me|[Ii]t's)\s+{_NAME}",
        rf"^(?:[Hh]i|[Hh]ello|[Hh]ey)?[,\s]*{_NAME},?\s+here\b",
    )
]
_ADDRESS = [
    (re.compile(rf"\b(?:[Tt]hanks|[Tt]hank you)(?: so much| very much)?,?\s+{_NAME}"), True),
    (
        re.compile(
            rf"\b(?:[Hh]i|[Hh]ello|[Hh]ey|[Ww]elcome|[Gg]ood (?:morning|afternoon|evening)),?\s+(?:back,?\s+)?"
            rf"{_NAME}"
        ),
        False,
    ),
    (
        re.compile(
            rf"(?:^|[.!?]\s+|\b(?:[Ss]o|[Aa]nd|[Nn]ow|[Oo]kay|[Ww]ell),?\s+){_NAME},\s+(?:could|can|would|will|do|"
            r"did|what|how|why|tell|please|are|have)\b"
        ),
        False,
    ),
    (re.compile(rf",\s+{_NAME}\s*[?.!]"), False),
]
_NOT_NAMES = {
    "I", "The", "A", "An", "And", "But", "So", "Yes", "No", "Okay", "Ok", "Well", "Thanks", "Thank", "Hi", "Hello",
    "Hey", "Sure", "Great", "Good", "Right", "Just", "Really", "Not", "Here", "There", "This", "That", "It", "We",
    "You", "They", "He", "She", "Sorry", "Glad", "Happy", "Fine", "Excited", "Everyone", "All", "Now", "Today",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "What", "Why", "How",
    "Absolutely", "Perfect", "Awesome", "Cool", "Alright", "Exactly", "Interesting", "Wonderful", "Nice",
    "Excellent", "Yeah", "Yep", "Please", "Also", "Then", "First", "Second", "Finally", "Honestly", "Actually",
    "Basically", "Speaker", "Who",
}
_HINT_STOP = {  # hint words that must be capitalised to count as a name
    "the", "a", "an", "one", "who", "person", "speaker", "is", "was", "being", "and", "or", "of", "to", "with",
    "will", "may", "mark", "bill", "grace", "hope", "joy", "rose", "faith", "art", "max", "sam", "pat", "jack",
}
# fmt: on


@dataclass(frozen=True, slots=True)
class HintMatch:
    """Outcome of matching a hint: the chosen speaker (None = miss), every speaker's score and why."""

    speaker_index: int | None
    scores: dict[int, float] = field(default_factory=dict)
    reason: str = ""
    cues: tuple[str, ...] = ()


def match_hint(analysis: MediaAnalysis, hint: str) -> HintMatch:
    """Pick the speaker that `hint` describes, or miss when no cue matches confidently."""
    indexes = [s.index for s in analysis.speakers]
    if not indexes:
        return HintMatch(None, reason="the media has no speakers")
    scores = {i: 0.0 for i in indexes}
    cues: list[str] = []
    notes: list[str] = []

    names = _names_in_hint(hint, _name_evidence(analysis))
    for name, evidence in names.items():
        top = max(evidence.get(i, 0.0) for i in indexes)
        if top > 0:
            cues.append(f"name:{name}")
            for i in indexes:
                scores[i] += _NAME_WEIGHT * max(0.0, evidence.get(i, 0.0)) / top
        else:
            notes.append(f"name {name!r} is not attributed to any speaker")

    protected = _PROTECTED.search(hint)
    if protected:
        notes.append(f"{protected.group(0)!r} describes gender, age or ethnicity, which is never inferred")
    else:
        for scorer in (_role_scores, _order_scores, _amount_scores):
            cue, values = scorer(analysis, hint)
            if cue:
                cues.append(cue)
                for i in indexes:
                    scores[i] += values.get(i, 0.0)

    rounded = {i: round(v, 4) for i, v in scores.items()}
    if not cues:
        return HintMatch(None, rounded, "; ".join(notes + ["no usable cue in the hint"]))
    ranked = sorted(indexes, key=lambda i: (-scores[i], i))
    gap = scores[ranked[0]] - scores[ranked[1]] if len(ranked) > 1 else float("inf")
    if gap < MARGIN:
        reason = f"no confident match: best {rounded[ranked[0]]} vs runner-up {rounded[ranked[1]]} ({', '.join(cues)})"
        return HintMatch(None, rounded, "; ".join([*notes, reason]), tuple(cues))
    reason = f"speaker {ranked[0]} best matches {', '.join(cues)} (score {rounded[ranked[0]]})"
    return HintMatch(ranked[0], rounded, "; ".join([*notes, reason]), tuple(cues))


# --- names -------------------------------------------------------------------------------------------------------


def _name_evidence(analysis: MediaAnalysis) -> dict[str, dict[int, float]]:
    evidence: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
    turns = sorted(analysis.utterances, key=lambda u: u.start)
    for pos, utt in enumerate(turns):
        text = utt.text.replace("\u2019", "'")
        for pattern in _SELF:
            for m in pattern.finditer(text):
                for token in _name_tokens(m):
                    evidence[token][utt.speaker_index] += 2.0
        for pattern, thanks in _ADDRESS:
            for m in pattern.finditer(text):
                nxt, prev = _neighbour(turns, pos, 1), _neighbour(turns, pos, -1)
                for token in _name_tokens(m):
                    evidence[token][utt.speaker_index] -= 1.0
                    if nxt is not None:
                        evidence[token][nxt] += 1.0
                    if prev is not None:
                        evidence[token][prev] += 1.0 if thanks else 0.5
    return evidence


def _name_tokens(m: re.Match[str]) -> list[str]:
    return [t.lower() for t in m.groups() if t and t not in _NOT_NAMES]


def _neighbour(turns: list[Utterance], pos: int, step: int) -> int | None:
    speaker = turns[pos].speaker_index
    j = pos + step
    while 0 <= j < len(turns):
        if turns[j].speaker_index != speaker:
            return turns[j].speaker_index
        j += step
    return None


def _names_in_hint(hint: str, evidence: dict[str, dict[int, float]]) -> dict[str, dict[int, float]]:
    found: dict[str, dict[int, float]] = {}
    for word in re.findall(r"[A-Za-z][A-Za-z'-]*", hint):
        key = word.lower()
        if key in evidence and (word[0].isupper() or key not in _HINT_STOP):
            found[key] = evidence[key]
        elif word[0].isupper() and word not in _NOT_NAMES and key not in _ORDINALS and not _is_role_word(word):
            found.setdefault(key, {})  # a capitalised word we never heard: reported, scores nothing
    return found


def _is_role_word(word: str) -> bool:
    return any(regex.fullmatch(word) for regex, _, _ in _ROLE_RE)


# --- roles -------------------------------------------------------------------------------------------------------


def _role_scores(analysis: MediaAnalysis, hint: str) -> tuple[str | None, dict[int, float]]:
    hits = sorted(
        ((m.start(), asks, domain, m.group(0)) for regex, asks, domain in _ROLE_RE for m in regex.finditer(hint)),
        key=lambda h: (h[0], -len(h[3])),
    )
    if not hits:
        return None, {}
    _, asks, _, word = hits[0]
    domains = [d for _, _, d, _ in hits if d] or list(_LEXICON)
    domain = domains[0]
    wq, wf, wa, wl = _ROLE_WEIGHTS.get(domain, _DEFAULT_WEIGHTS) if len(set(domains)) == 1 else _DEFAULT_WEIGHTS
    ask_lex = tuple(p for d in dict.fromkeys(domains) for p in _LEXICON[d][0])
    ans_lex = tuple(p for d in dict.fromkeys(domains) for p in _LEXICON[d][1])

    indexes = [s.index for s in analysis.speakers]
    first = min(analysis.utterances, key=lambda u: u.start).speaker_index if analysis.utterances else None
    qratio, answered = _question_features(analysis)
    ask_hits = {i: _lexicon_hits(analysis, i, ask_lex) for i in indexes}
    ans_hits = {i: _lexicon_hits(analysis, i, ans_lex) for i in indexes}
    ask_total, ans_total = max(1, sum(ask_hits.values())), max(1, sum(ans_hits.values()))
    evidence = {
        i: wq * qratio[i]
        + wf * (i == first)
        - wa * answered[i]
        + wl * (ask_hits[i] / ask_total - ans_hits[i] / ans_total)
        for i in indexes
    }
    sign = 1.0 if asks else -1.0
    return f"role:{word.lower()}({'asks' if asks else 'answers'})", {i: sign * v for i, v in evidence.items()}


def _question_features(analysis: MediaAnalysis) -> tuple[dict[int, float], dict[int, float]]:
    """Per speaker: share of question sentences, and share of turns that follow another speaker's question."""
    sentences: dict[int, int] = defaultdict(int)
    questions: dict[int, int] = defaultdict(int)
    turns: dict[int, int] = defaultdict(int)
    answers: dict[int, int] = defaultdict(int)
    previous: Utterance | None = None
    previous_asks = False
    for utt in sorted(analysis.utterances, key=lambda u: u.start):
        parts = [p.strip() for p in re.findall(r"[^.?!]+[.?!]*", utt.text) if p.strip(" .?!")]
        flags = [_is_question(p) for p in parts]
        sentences[utt.speaker_index] += len(parts)
        questions[utt.speaker_index] += sum(flags)
        if previous is None or previous.speaker_index != utt.speaker_index:
            turns[utt.speaker_index] += 1
            if previous is not None and previous_asks:
                answers[utt.speaker_index] += 1
        previous, previous_asks = utt, bool(flags) and (flags[-1] or utt.text.rstrip().endswith("?"))
    indexes = [s.index for s in analysis.speakers]
    qratio = {i: questions[i] / sentences[i] if sentences[i] else 0.0 for i in indexes}
    answered = {i: answers[i] / turns[i] if turns[i] else 0.0 for i in indexes}
    return qratio, answered


def _is_question(sentence: str) -> bool:
    if sentence.endswith("?"):
        return True
    if _PROMPT.match(sentence):
        return True
    words = re.findall(r"[a-z']+", sentence.lower())
    if len(words) < 2:
        return False
    if words[0] in _AUX and words[1] in _SUBJECT:
        return True  # "can you tell me...", "do you..." even when transcribed with a full stop
    if words[0] in _WH:
        return words[1] in _AUX or words[1] in {"about", "else"} or not sentence.endswith((".", "!"))
    return False


def _lexicon_hits(analysis: MediaAnalysis, index: int, phrases: tuple[str, ...]) -> int:
    text = " ".join(u.text for u in analysis.utterances_of(index)).lower().replace("\u2019", "'")
    return sum(len(re.findall(rf"\b{re.escape(p)}\b", text)) for p in phrases)


# --- order and amount --------------------------------------------------------------------------------------------


def _order_scores(analysis: MediaAnalysis, hint: str) -> tuple[str | None, dict[int, float]]:
    first_start: dict[int, float] = {}
    for utt in analysis.utterances:
        first_start[utt.speaker_index] = min(utt.start, first_start.get(utt.speaker_index, utt.start))
    order = sorted((s.index for s in analysis.speakers), key=lambda i: (first_start.get(i, float("inf")), i))
    if m := _ORDER_NOUN.search(hint) or _ORDER_VERB.search(hint):
        word = m.group(1).lower()
        if word in ("last", "final") and m.re is _ORDER_VERB and analysis.utterances:
            chosen: int | None = max(analysis.utterances, key=lambda u: (u.end, u.start)).speaker_index
        else:
            position = _ORDINALS[word]
            chosen = order[position] if -len(order) <= position < len(order) else None
    elif _OPENS.search(hint):
        word, chosen = "opens", order[0]
    else:
        return None, {}
    return f"order:{word}", ({chosen: 1.0} if chosen is not None else {})


def _amount_scores(analysis: MediaAnalysis, hint: str) -> tuple[str | None, dict[int, float]]:
    seconds = {s.index: max(0.0, s.speech_seconds) for s in analysis.speakers}
    if not seconds or max(seconds.values()) <= 0:
        return None, {}
    if _LEAST.search(hint):
        low = min(seconds.values())
        return "amount:least", {i: (low / v if v > 0 else 1.0) for i, v in seconds.items()}
    if _MOST.search(hint):
        high = max(seconds.values())
        return "amount:most", {i: v / high for i, v in seconds.items()}
    return None, {}
