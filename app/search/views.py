"""/find?ref=...: one match opens its page; none, or an invalid reference, shows the box again with the reason.

Who may see what is casecore.reference_search's, the same as the pages it leads to: a reference the person may not
see answers exactly like one that does not exist (404 both), so the search never tells that a record exists.
"""
from __future__ import annotations

from flask import Blueprint, Flask, redirect, render_template, request, url_for
from flask_login import current_user

from app.runtime import runtime
from app.web.pages import page_gettext
from app.web.words import REFERENCE_PROBLEMS
from casecore.i18n import N_
from casecore.reference_search import Found, find_by_reference
from casecore.references import TYPED_LENGTH

bp = Blueprint("search", __name__)

# Each kind's page and the name of its id in the URL.
PAGES = {"report": ("triage.report", "report_id"), "case": ("casework.page", "case_id"),
         "complaint": ("complaints.detail", "complaint_id")}
# What each kind is called, for a reference that names several records.
KIND_WORDS = {"report": N_("Report"), "case": N_("Case"), "complaint": N_("Complaint")}
NOT_FOUND = N_("No report, case or complaint with this reference that you may see.")


def found_url(found: Found) -> str:
    """The page of a record the search found."""
    endpoint, key = PAGES[found.kind]
    return url_for(endpoint, **{key: found.id})


@bp.route("/find")
def find():
    """Find a report, case or complaint by reference; the search is audited (casecore.reference_search)."""
    typed = request.args.get("ref", "")
    if not typed.strip():
        return _box("")
    with runtime().unit_of_work() as db:
        search = find_by_reference(db, current_user, typed)
    if search.invalid is not None:
        return _box(typed, REFERENCE_PROBLEMS[search.invalid], status=400)
    if not search.found:
        return _box(typed, NOT_FOUND, status=404)
    if len(search.found) == 1:
        return redirect(found_url(search.found[0]))
    return _box(typed, found=search.found)


def _box(typed: str, problem: str | None = None, found: tuple[Found, ...] = (), status: int = 200):
    # The box keeps what was typed, as much of it as it holds.
    message = page_gettext()(problem) if problem else None
    return render_template("search/find.html", typed=typed[:TYPED_LENGTH], found=found, message=message,
                           kind_words=KIND_WORDS), status


def init_app(app: Flask) -> None:
    """Register the search page and the link helper of its template."""
    app.register_blueprint(bp)
    app.add_template_global(found_url)
