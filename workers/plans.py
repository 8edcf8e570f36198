"""What a closure sends, worded once for every process that closes a case (the web view, or a closure read from
Primero by a worker or a webhook): the surveys in the family's language and the committee's thanks, for SMS."""
from __future__ import annotations

from bootstrap import Runtime
from casecore.cases.surveys import SurveyPlan
from casecore.handoff.follow import ClosurePlan
from channels.sms.encoding import to_gsm7
from dialogs.closure_survey import survey_invitations
from dialogs.committee_thanks import accepted_text
from dialogs.tracing_news import news_text


def survey_plan(runtime: Runtime) -> SurveyPlan:
    """The closure surveys: the invitations in the family's language, respelt for SMS, sent by the SMS backend."""
    words = runtime.keywords.first_words

    def texts(language: str) -> dict[str, str]:
        return {audience: to_gsm7(text) for audience, text in survey_invitations(language, words).items()}

    return SurveyPlan(texts, runtime.settings.SMS_BACKEND, runtime.settings.DEFAULT_LANGUAGE)


def committee_thanks(language: str, reference: str) -> str:
    """The thanks to a committee member, respelt for SMS."""
    return to_gsm7(accepted_text(language, reference))


def closure_plan(runtime: Runtime) -> ClosurePlan:
    """What a case closed in Primero sends, as a Relais closure does; the mappings that follow its owner."""
    return ClosurePlan(survey_plan(runtime), committee_thanks, runtime.primero_mapping)


def tracing_news(language: str, reference: str) -> str:
    """The news for a person who asked to trace a child, respelt for SMS."""
    return to_gsm7(news_text(language, reference))
