"""The second-stage questions of each programme: applications asks them, and assessment shows
each answer with its question (the answers travel in `SecondStageSubmitted` keyed by id)."""

from __future__ import annotations

from dataclasses import dataclass

from rtw_contracts.types import Programme


@dataclass(frozen=True)
class SecondStageQuestion:
    """A question of the second-stage form."""

    id: str
    text: str
    max_words: int


SECOND_STAGE_QUESTIONS: dict[Programme, tuple[SecondStageQuestion, ...]] = {
    Programme.ICT: (
        SecondStageQuestion(
            "ict-problem",
            "Tell us about a technical problem you solved for the people who used your service.",
            500,
        ),
        SecondStageQuestion(
            "ict-change",
            "How has technology in your field changed during your break, and how will you catch up?",
            400,
        ),
        SecondStageQuestion("ict-council", "Why do you want to work in digital services for a council?", 300),
    ),
    Programme.SOCIAL_WORK: (
        SecondStageQuestion(
            "sw-practice",
            "Describe a piece of practice you are proud of and what you learned.",
            500,
        ),
        SecondStageQuestion("sw-change", "What has changed in social work since you last practised?", 400),
    ),
    Programme.PLANNING: (
        SecondStageQuestion(
            "pln-case", "Describe a planning case you handled from application to decision.", 500
        ),
        SecondStageQuestion("pln-change", "Which policy changes will you need to catch up on?", 400),
    ),
    Programme.LEGAL: (
        SecondStageQuestion(
            "lgl-matter", "Describe a matter you advised a public body on and its outcome.", 500
        ),
        SecondStageQuestion("lgl-change", "Which changes in the law will you need to catch up on?", 400),
    ),
}


def question_text(question_id: str) -> str | None:
    """The text of a question, by id (None for an id no programme asks)."""
    for questions in SECOND_STAGE_QUESTIONS.values():
        for question in questions:
            if question.id == question_id:
                return question.text
    return None


def in_question_order(answers: dict[str, str]) -> list[tuple[str, str, str]]:
    """(question id, question text, answer) in the order the form asks them; answers to an id
    no programme asks come last, under their id."""
    order = {q.id: (n, q.text) for qs in SECOND_STAGE_QUESTIONS.values() for n, q in enumerate(qs)}
    ranked = sorted(answers.items(), key=lambda item: (order.get(item[0], (len(order), ""))[0], item[0]))
    return [(qid, order[qid][1] if qid in order else f"Question {qid}", answer) for qid, answer in ranked]
