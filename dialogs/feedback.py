"""Give feedback: a rating and an optional comment, linked to the case the number is linked to (open, or closed
recently: the closure survey asks for it)."""
from __future__ import annotations

from casecore.cases import find_case_for_feedback
from casecore.feedback import FeedbackDraft, record_feedback
from dialogs.common import answered, description_step, language_of
from dialogs.engine import Answers, Context, Ending, Option, Step

ENTRY = "feedback.rating"

RATINGS = (
    Option("5", "Very satisfied"),
    Option("4", "Satisfied"),
    Option("3", "So-so"),
    Option("2", "Not satisfied"),
    Option("1", "Not at all satisfied"),
)


def _record(ctx: Context, answers: Answers) -> str:
    services = ctx.services
    with services.unit_of_work() as session:
        case = find_case_for_feedback(session, ctx.phone)
        record_feedback(session, FeedbackDraft(
            organisation_id=case.organisation_id if case else services.receiving_organisation,
            channel=ctx.channel,
            source_key=f"{ctx.channel}:{ctx.session_id}",
            rating=int(answers["feedback.rating"]),
            comment=answered(answers, "feedback.comment"),
            language=language_of(ctx, answers),
            case_id=case.case_id if case else None,
        ))
    _ = ctx.gettext(answers)
    return _("Thank you for your feedback. It helps us do better.")


STEPS = {
    "feedback.rating": Step("feedback.rating", "Are you satisfied with the help you received?", RATINGS,
                            "feedback.comment"),
    # On the text channels only: on USSD a `*` typed in free text would be read as another answer.
    "feedback.comment": description_step("feedback.comment", "Add a comment (optional):", "feedback.thanks"),
}

ENDINGS = {"feedback.thanks": Ending("feedback.thanks", _record)}
