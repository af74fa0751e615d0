"""Template data: section order and kinds (docs/api.md §13), what each paragraph talks about, and action rules."""

from __future__ import annotations

from dataclasses import dataclass

TEMPLATE_VERSION = 2  # 2: reliability caution, ranges calibrated on real speech

SECTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "general_report": (
        ("dominating_traits", "traits"), ("how_they_think", "paragraph"), ("how_they_operate", "paragraph"),
        ("what_drives_them", "paragraph"), ("how_they_connect", "paragraph"),
        ("how_they_handle_feedback", "paragraph"), ("pressure_response", "paragraph"),
        ("how_to_get_their_best", "actions"), ("how_to_handle_the_hard_parts", "actions"),
        ("bottom_line", "paragraph"),
    ),
    "sales_playbook": (
        ("dominating_traits", "traits"), ("what_drives_a_yes", "paragraph"),
        ("how_to_build_rapport_fast", "paragraph"), ("buying_tendencies", "paragraph"),
        ("how_they_handle_pushback_and_objections", "paragraph"),
        ("how_they_deal_when_a_deal_gets_sticky", "paragraph"), ("how_to_close", "actions"),
        ("how_to_follow_up", "actions"), ("bottom_line", "paragraph"),
    ),
}
TEMPLATE_NAMES = {"general_report": "behavioral profile", "sales_playbook": "sales playbook"}
ROLE_SECTIONS = frozenset({"what_drives_them", "what_drives_a_yes"})


def section_title(key: str) -> str:
    return key.replace("_", " ").capitalize()


# paragraph key -> (dimensions, indicators) it is written from, in order
PARAGRAPHS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "how_they_think": (("deliberation", "curiosity"), ("certainty_ratio",)),
    "how_they_operate": (("structure", "energy"), ("mean_turn_length", "longest_monologue")),
    "what_drives_them": ((), ("future_orientation", "we_ratio", "tone")),
    "how_they_connect": (("warmth",), ("question_share", "interruptions_made")),
    "how_they_handle_feedback": ((), ("interruptions_received", "response_latency", "hedge_rate")),
    "pressure_response": (("composure",), ("filled_pauses", "pitch_variability", "intensity_variability")),
    "what_drives_a_yes": ((), ("certainty_ratio", "future_orientation", "question_rate")),
    "how_to_build_rapport_fast": (("warmth",), ("speech_rate", "we_ratio", "tone")),
    "buying_tendencies": (("deliberation", "curiosity"), ("hedge_rate",)),
    "how_they_handle_pushback_and_objections": (("assertiveness",), ("interruptions_made", "response_latency")),
    "how_they_deal_when_a_deal_gets_sticky": (("composure",), ("hedge_rate", "long_pauses", "tone")),
}

# What a level of a dimension tends to mean in conversation (low, medium, high).
DIMENSION_READING: dict[str, tuple[str, str, str]] = {
    "assertiveness": ("They tend to let others set the direction.", "They push their view when it matters.",
                      "They tend to steer the conversation."),
    "warmth": ("Their talk stays on the task more than on the relationship.",
               "They keep a friendly but businesslike register.", "They put the relationship in the foreground."),
    "energy": ("They come across as calm and even.", "Their delivery is steady.",
               "They come across as lively and driven."),
    "deliberation": ("They think out loud and decide quickly.", "They balance quick replies with reflection.",
                     "They think before they speak."),
    "curiosity": ("They lead with statements rather than questions.", "They ask when they need to.",
                  "They explore by asking."),
    "structure": ("Their delivery is loose and exploratory.", "Their delivery is reasonably organised.",
                  "Their delivery is orderly and planned."),
    "composure": ("Hesitation markers show when they are put on the spot.", "They stay mostly steady.",
                  "They stay steady and fluent."),
}


@dataclass(frozen=True, slots=True)
class ActionRule:
    when: str  # a dimension or indicator key
    levels: tuple[int, ...]  # -1 low side, 0 medium, 1 high side
    title: str
    facts: tuple[str, ...]  # indicators quoted in the context
    advice: str


_FALLBACK_PACE = ActionRule("speech_rate", (-1, 0, 1), "Match their tempo", ("speech_rate",),
                            "Mirror that pace so they neither wait on you nor have to catch up.")

ACTIONS: dict[str, tuple[ActionRule, ...]] = {
    "how_to_get_their_best": (
        ActionRule("deliberation", (1,), "Give them time to think", ("response_latency", "long_pauses"),
                   "Send questions ahead and allow silence before expecting an answer."),
        ActionRule("deliberation", (-1,), "Keep the pace up", ("response_latency",),
                   "Bring decisions to them live; long written pre-reads slow them down."),
        ActionRule("curiosity", (1,), "Leave room for their questions", ("question_rate",),
                   "Plan time for their questions instead of a one-way presentation."),
        ActionRule("curiosity", (-1,), "Ask for their view directly", ("question_rate",),
                   "Invite their opinion explicitly rather than waiting for them to ask."),
        ActionRule("hedge_rate", (1,), "Turn their ideas into commitments", ("hedge_rate",),
                   "Restate their tentative points as concrete proposals and confirm them."),
        ActionRule("warmth", (1,), "Work with them, not at them", ("we_ratio", "tone"),
                   "Frame work as shared goals; they respond to the relationship."),
        ActionRule("energy", (1,), "Match their energy", ("speech_rate", "pitch_variability"),
                   "Keep meetings brisk and visibly engaged."),
        _FALLBACK_PACE,
    ),
    "how_to_handle_the_hard_parts": (
        ActionRule("talk_share", (1,), "Timebox their turns", ("talk_share", "longest_monologue"),
                   "Agree an agenda with time per topic so other voices are heard."),
        ActionRule("interruptions_made", (1,), "Agree on turn-taking", ("interruptions_made",),
                   "Name the pattern early and hand the floor over explicitly."),
        ActionRule("hedge_rate", (1,), "Ask for a firm commitment", ("hedge_rate", "certainty_ratio"),
                   "Close each topic with a yes/no and a date."),
        ActionRule("interruptions_received", (1,), "Protect their airtime", ("interruptions_received",),
                   "Let them finish; ask others to hold their points."),
        ActionRule("talk_share", (-1,), "Draw them out", ("talk_share",),
                   "Ask open questions and wait; they will not claim the floor on their own."),
        ActionRule("filled_pauses", (1,), "Lower the stakes", ("filled_pauses",),
                   "Give them a moment and a written prompt when a question is hard."),
        ActionRule("tone", (-1,), "Address the negative tone early", ("tone",),
                   "Ask what is behind it before pushing on."),
        ActionRule("question_share", (-1, 0, 1), "Check understanding explicitly", ("question_share",),
                   "Confirm agreement at the end of each topic."),
    ),
    "how_to_close": (
        ActionRule("certainty_ratio", (1,), "Ask for the decision directly", ("certainty_ratio",),
                   "They speak in commitments; a clear ask fits them."),
        ActionRule("hedge_rate", (1,), "Reduce the perceived risk", ("hedge_rate",),
                   "Offer a pilot, a guarantee or a small first step."),
        ActionRule("deliberation", (1,), "Give them a decision window", ("response_latency",),
                   "Agree a date for the decision instead of pressing in the meeting."),
        ActionRule("curiosity", (1,), "Answer every open question first", ("question_rate",),
                   "List their questions and tick them off before the ask."),
        ActionRule("future_orientation", (1,), "Close on next steps", ("future_orientation",),
                   "Describe what happens after they sign, step by step."),
        _FALLBACK_PACE,
    ),
    "how_to_follow_up": (
        ActionRule("structure", (1,), "Send a structured recap", ("mean_turn_length", "filled_pauses"),
                   "Numbered decisions, owners and dates."),
        ActionRule("warmth", (1,), "Follow up personally", ("we_ratio", "tone"),
                   "A call or a personal note works better than a form email."),
        ActionRule("deliberation", (1,), "Give them material to review", ("response_latency",),
                   "Send the details in writing and let them come back to you."),
        ActionRule("energy", (1,), "Follow up quickly", ("speech_rate",),
                   "Reply the same day while the momentum is there."),
        ActionRule("curiosity", (1,), "Answer their open questions in writing", ("question_rate",),
                   "One short answer per question they raised."),
        _FALLBACK_PACE,
    ),
}

# Role text keywords (stems) -> the dimension they ask for.
ROLE_KEYWORDS: dict[str, tuple[str, ...]] = {
    "assertiveness": ("lead", "drive", "negotiat", "decisive", "confiden", "persua", "ownership", "close",
                      "assertive", "influenc"),
    "warmth": ("team", "collaborat", "empath", "customer", "support", "care", "relationship", "friendly", "kind",
               "trust"),
    "energy": ("fast", "dynamic", "energ", "pace", "startup", "enthusias", "hustle", "passion"),
    "deliberation": ("analy", "careful", "detail", "research", "thoughtful", "plan", "accura", "rigor", "data"),
    "curiosity": ("learn", "curious", "discover", "question", "explor", "innovat", "listen", "experiment"),
    "structure": ("process", "organi", "structur", "reliab", "deadline", "complian", "consisten", "disciplin"),
    "composure": ("pressure", "calm", "stress", "crisis", "resilien", "escalat", "conflict"),
}
