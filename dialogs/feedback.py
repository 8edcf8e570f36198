"""Give feedback: a rating and an optional comment, tied to the survey the number was sent last (after a service,
at closure), else to the case the number is linked to (open, or closed recently), else general."""
from __future__ import annotations

from casecore.feedback.answers import FeedbackDraft, link_feedback, record_feedback
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
        link = link_feedback(session, ctx.phone, answer_days=services.feedback_answer_days)
        record_feedback(session, FeedbackDraft(
            organisation_id=link.organisation_id or services.receiving_organisation,
            channel=ctx.channel,
            source_key=f"{ctx.channel}:{ctx.session_id}",
            rating=int(answers["feedback.rating"]),
            comment=answered(answers, "feedback.comment"),
            language=language_of(ctx, answers),
            case_id=link.case_id,
            referral_id=link.referral_id,
            about=link.about,
            audience=link.audience,
            request_id=link.request_id,
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
