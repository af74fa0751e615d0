from __future__ import annotations

import pytest
from conduit_server.targeting.hint import match_hint

from targeting._media import media, speakers_only

# The interviewer (0) asks long questions and talks MORE than the candidate (1).
INTERVIEW = media(
    [
        (
            0,
            "Hi, thanks for coming in today. I'm going to be interviewing you for the senior backend engineer role on "
            "our platform team, which owns the billing and payments services that every product in the company uses. "
            "So to start, could you tell me about your background and what drew you to this position?",
        ),
        (1, "Sure. I worked at Acme for four years on payments."),
        (
            0,
            "That's great, payments experience is exactly what we need here. The team is small, five engineers, and "
            "we are on call one week in five, and the systems process a few million transactions a day. Walk me "
            "through a production incident you handled, what went wrong, how you found it, and what you changed "
            "afterwards so that it would not happen again?",
        ),
        (1, "We had a double charge bug. I led the fix and added idempotency keys."),
        (
            0,
            "Interesting. How did you convince the other teams to adopt the idempotency keys, given that it meant "
            "changing their clients, and what would you do differently if you had to roll it out again today?",
        ),
        (1, "I wrote a short design doc and paired with each team. My experience is that people adopt what is easy."),
        (0, "Makes sense. What are you looking for in your next role, and why do you want to leave your current job?"),
        (1, "More ownership. My previous team was large and I want to build from scratch."),
    ]
)

SALES = media(
    [
        (0, "Hi, thanks for taking the call. I'd love to learn a bit about how your team handles invoicing today."),
        (1, "Sure. We currently use spreadsheets and it takes two people a week every month. How does your tool work?"),
        (
            0,
            "Our platform connects to your bank and your CRM and sends invoices automatically. Let me show you a demo "
            "of our product. Most of our customers cut invoicing time by eighty percent.",
        ),
        (1, "That looks useful. How much does it cost? We have a tight budget this year."),
        (
            0,
            "Our pricing is per seat, forty dollars per user per month, and we offer a free trial for thirty days. "
            "I can send you a contract with an annual discount.",
        ),
        (1, "Does it integrate with Salesforce? I'd need to check with my boss before we commit."),
        (0, "Yes, it does. I can send you the onboarding guide too."),
    ]
)


def test_interview_candidate_although_the_interviewer_talks_more() -> None:
    assert INTERVIEW.speaker(0).speech_seconds > INTERVIEW.speaker(1).speech_seconds
    assert match_hint(INTERVIEW, "the job candidate being interviewed").speaker_index == 1
    assert match_hint(INTERVIEW, "the interviewer asking questions").speaker_index == 0
    assert match_hint(INTERVIEW, "the interviewee").speaker_index == 1
    assert match_hint(INTERVIEW, "the one answering the questions").speaker_index == 1


def test_sales_call_roles_even_though_the_customer_asks_questions() -> None:
    assert match_hint(SALES, "the potential customer").speaker_index == 1
    assert match_hint(SALES, "the salesperson").speaker_index == 0
    assert match_hint(SALES, "the prospect talking to the sales rep").speaker_index == 1


@pytest.mark.parametrize(
    "turns",
    [
        # self-introduction
        [(0, "Hello and welcome. Let's get started."), (1, "Hi, I'm Dana, nice to meet you."), (0, "Great.")],
        [(0, "Good morning."), (1, "Good morning, my name is Dana Reyes."), (0, "Okay. Let's begin.")],
        [(1, "This is Dana from the finance team."), (0, "Hello there, how are you?")],
        # being addressed
        [(0, "So what do you think about the plan?"), (1, "I like it a lot."), (0, "Thanks, Dana. Moving on.")],
        [(0, "Let's hear from the other side. Dana, could you walk us through the numbers?"), (1, "Of course.")],
        [(0, "We shipped it last week. What do you think, Dana?"), (1, "It went well overall.")],
    ],
)
def test_names_from_introductions_and_address(turns: list[tuple[int, str]]) -> None:
    analysis = media(turns)
    speaker_of_dana = 1
    assert match_hint(analysis, "Dana").speaker_index == speaker_of_dana
    assert match_hint(analysis, "the person named dana").speaker_index == speaker_of_dana


def test_name_of_the_other_speaker_picks_them() -> None:
    analysis = media([(0, "Hi, I'm Sam from Acme."), (1, "Hi Sam, I'm Dana."), (0, "Nice to meet you, Dana.")])
    assert match_hint(analysis, "Sam").speaker_index == 0
    assert match_hint(analysis, "Dana").speaker_index == 1


def test_unheard_name_is_a_miss() -> None:
    analysis = media([(0, "Hi, I'm Sam."), (1, "Hello.")])
    result = match_hint(analysis, "Priya")
    assert result.speaker_index is None
    assert "priya" in result.reason


def test_order() -> None:
    analysis = media([(1, 0.0, 2.0, "Hello."), (0, 2.5, 20.0, "Hi there, long answer."), (2, 21.0, 22.0, "Bye.")])
    assert match_hint(analysis, "the first speaker").speaker_index == 1
    assert match_hint(analysis, "second person").speaker_index == 0
    assert match_hint(analysis, "the last speaker").speaker_index == 2
    assert match_hint(analysis, "the one who speaks first").speaker_index == 1
    assert match_hint(analysis, "the fifth speaker").speaker_index is None


def test_amount() -> None:
    analysis = media([(0, 0.0, 5.0, "Short."), (1, 5.0, 40.0, "A long monologue."), (2, 40.0, 50.0, "Medium.")])
    assert match_hint(analysis, "the one who talks most").speaker_index == 1
    assert match_hint(analysis, "the person who speaks the least").speaker_index == 0
    assert match_hint(analysis, "the quiet one").speaker_index == 0


def test_amount_without_a_clear_difference_is_a_miss() -> None:
    assert match_hint(speakers_only({0: 50.0, 1: 49.0}), "the one who talks most").speaker_index is None


@pytest.mark.parametrize(
    "hint",
    ["the woman", "the older man", "the young guy", "the female speaker", "the Asian man", "the man who talks most"],
)
def test_never_infers_gender_age_or_ethnicity(hint: str) -> None:
    for analysis in (INTERVIEW, SALES):
        result = match_hint(analysis, hint)
        assert result.speaker_index is None
        assert "never inferred" in result.reason


@pytest.mark.parametrize("hint", ["xqzv blorp", "the person", "banana", "???"])
def test_gibberish_is_a_miss(hint: str) -> None:
    assert match_hint(INTERVIEW, hint).speaker_index is None


def test_role_without_question_structure_is_a_miss() -> None:
    chat = media([(0, "The weather was nice."), (1, "It rained here."), (0, "Too bad."), (1, "Yes.")])
    assert match_hint(chat, "the interviewer").speaker_index is None


def test_scores_are_reported_for_every_speaker() -> None:
    result = match_hint(INTERVIEW, "the interviewer")
    assert set(result.scores) == {0, 1}
    assert result.scores[0] > result.scores[1]
    assert result.cues and result.reason


def test_no_speakers() -> None:
    assert match_hint(speakers_only({}), "the first speaker").speaker_index is None


def test_a_name_still_works_next_to_a_protected_descriptor() -> None:
    analysis = media([(0, "Welcome, let's begin."), (1, "Hi, I'm Dana."), (0, "Great.")])
    result = match_hint(analysis, "the woman called Dana")
    assert result.speaker_index == 1
    assert "never inferred" in result.reason
