"""One seeded case's life (bench/case_seed.py): its rows as it goes through the steps of case management until now."""
from __future__ import annotations

from datetime import datetime, timedelta

from casecore import taxonomy
from casecore.cases.models import CaseApproval, CaseConsent, CaseContact, CaseEvent, CaseFollowUp, Referral
from casecore.deadlines.models import CaseDeadline
from casecore.messaging.models import CommunityContact, InboundMessage


class CaseLife:
    """The rows of one case as it goes through the steps of case management."""

    NOTES = ("Visite au domicile, la mère était présente.", "Appel avec l'école au sujet de la présence de l'enfant.",
             "Entretien avec l'enfant, qui va mieux.", "Le père n'a pas pu être joint.",
             "Rendez-vous au centre de santé.")
    FAMILY = ("Bonjour, nous serons à la maison demain matin.", "Merci pour la visite.", "Pouvez-vous rappeler ?")

    def __init__(self, world, case_id, worker, org, opened: datetime, risk: str) -> None:
        self.w, self.case_id, self.worker, self.org, self.risk = world, case_id, worker, org, risk
        self.rng, self.now, self.t = world.rng, world.now, opened
        self.opened = opened
        self.supervisor = world.rng.choice(world.org_supervisors[org])
        self.rows: dict[object, list[dict]] = {}
        self.phones: list[str] = []
        self.closed_at = self.closure_reason = None
        self.sharing_consent = None

    def put(self, table, **row) -> dict:
        row.setdefault("id", self.w.uid())
        self.rows.setdefault(table, []).append(row)
        return row

    def event(self, kind: str, body: str | None = None, author="worker", channel: str | None = None,
              at: datetime | None = None) -> None:
        author_id = {"worker": self.worker, "supervisor": self.supervisor, None: None}[author]
        self.put(CaseEvent.__table__, case_id=self.case_id, kind=kind, channel=channel, body=body,
                 author_user_id=author_id, at=min(at or self.t, self.now), source_key=None)

    def advance(self, low_hours: float, high_hours: float) -> bool:
        """Move the clock on; False when that would pass now (the case is still at this point)."""
        self.t += self.w.hours(low_hours, high_hours)
        return self.t < self.now

    def deadline(self, kind: str, due: datetime, met: datetime | None) -> None:
        self.put(CaseDeadline.__table__, case_id=self.case_id, report_id=None, kind=kind, due_at=due,
                 met_at=met if met is not None and met < self.now else None, warned_at=None,
                 overdue_alerted_at=None, created_at=self.t)

    def contact(self) -> None:
        phone = self.w.phone()
        self.phones.append(phone)
        self.put(CaseContact.__table__, case_id=self.case_id, phone=phone, added_at=self.opened)
        if self.rng.random() < 0.5:
            self.w.add(CommunityContact.__table__, {
                "id": self.w.uid(), "phone": phone, "language": self.rng.choice(("fr", "bm", "en")),
                "opted_out_at": self.now if self.rng.random() < 0.02 else None, "updated_at": self.opened})

    def consents(self, heavy: bool) -> None:
        rng = self.rng
        purposes = rng.sample(taxonomy.CONSENT_PURPOSES, rng.randint(1, 3))
        for purpose in purposes + (list(taxonomy.CONSENT_PURPOSES) * 3 if heavy else []):
            given = rng.random() < 0.9
            row = self.put(CaseConsent.__table__, case_id=self.case_id, purpose=purpose, given=given,
                           given_by=rng.choice(taxonomy.CONSENT_GIVERS[:3]), note=None, recorded_by_id=self.worker,
                           recorded_at=min(self.t + self.w.hours(0, 4), self.now), withdrawn_at=None)
            if given and purpose == "sharing_providers":
                self.sharing_consent = row["id"]
            self.event("consent_recorded" if given else "consent_refused", purpose, at=row["recorded_at"])

    def note(self) -> None:
        self.event("note", self.rng.choice(self.NOTES))

    def family(self) -> None:
        """The family writes (its message is in the inbox and in the timeline); the worker often answers."""
        rng, phone = self.rng, self.rng.choice(self.phones)
        channel = rng.choice(("sms", "sms", "whatsapp"))
        body = rng.choice(self.FAMILY)
        self.w.add(InboundMessage.__table__, {
            "id": self.w.uid(), "provider": "twilio" if channel == "whatsapp" else "africastalking",
            "provider_message_id": f"bench-{self.w.uid().hex}", "channel": channel, "phone": phone,
            "to_address": "+22320000000", "body": body, "received_at": self.t, "status": "processed",
            "processed_at": self.t})
        self.event("family_message", body, author=None, channel=channel)
        if rng.random() < 0.6:
            self.event("message_to_family", "Nous passerons jeudi à 10 h.", channel=channel,
                       at=self.t + self.w.hours(0.5, 6))

    def approval(self, step: str, reason: str | None = None) -> bool:
        """Request, maybe a return and a second request, then the approval; False if now comes first."""
        rng = self.rng
        while True:
            requested = self.t
            self.event("approval_requested", step)
            row = self.put(CaseApproval.__table__, case_id=self.case_id, step=step,
                           content=f"Ce qui est soumis pour « {step} ».", closure_reason=reason,
                           requested_by_id=self.worker, requested_at=requested, decision="pending",
                           decided_by_id=None, decided_at=None, comment=None)
            if not self.advance(2, 96):
                return False
            returned = rng.random() < 0.15
            row.update(decision="returned" if returned else "approved", decided_by_id=self.supervisor,
                       decided_at=self.t, comment="À préciser : qui fait quoi et quand." if returned else None)
            self.event("approval_returned" if returned else "approval_approved", step, author="supervisor")
            if not returned:
                return True
            if not self.advance(12, 120):
                return False

    def step(self, step: str) -> None:
        self.event("step_changed", step)

    def live(self, heavy: bool) -> tuple[str, str]:
        """Play the case forward until now; returns its status and current step."""
        rng, tl = self.rng, self.w.timelines
        opened = self.opened
        first_due = tl.by_risk("first_response", self.risk, opened)
        assess_due = tl.by_risk("assessment", self.risk, opened)
        # First response: mostly on time, sometimes late, a few still waiting.
        responded = opened + self.w.hours(1, (first_due - opened).total_seconds() / 3600 * 1.3)
        self.deadline("first_response", first_due, responded)
        if rng.random() < 0.3:
            self.note()
        if not self.advance(4, 24 * 6):
            self.deadline("assessment", assess_due, None)
            return "open", "registration"
        self.step("assessment")
        if not self.advance(12, 24 * 6):
            self.deadline("assessment", assess_due, None)
            return "open", "assessment"
        self.deadline("assessment", assess_due, self.t)
        if not self.approval("assessment"):
            return "open", "assessment"
        plan_due = tl.by_risk("case_plan", self.risk, self.t)
        self.step("case_plan")
        if not self.advance(24, 24 * 15):
            self.deadline("case_plan", plan_due, None)
            return "open", "case_plan"
        self.deadline("case_plan", plan_due, self.t)
        if not self.approval("case_plan"):
            return "open", "case_plan"
        self.step("implementation")
        # Implementation then follow-up: monthly reviews, visits, notes, the family writing, sometimes a referral.
        # The heaviest case is still open (the page shows every form) after two years of monthly work.
        months = rng.randint(4, 24) + (40 if heavy else 0)
        follow_from = months - rng.randint(1, 4)
        review_due = tl.review_due(self.t)
        for month in range(months):
            if month == follow_from:
                self.step("follow_up")
            for _ in range(rng.randint(0, 2)):
                if not self.advance(24, 24 * 7):
                    return self._still_open(review_due)
                rng.choice((self.note, self.note, self.family, self.visit))()
            if self.sharing_consent is not None and rng.random() < 0.08:
                self.referral()
            if not self.advance(24 * 15, 24 * 30):
                return self._still_open(review_due)
            self.deadline("review", review_due, self.t)
            self.review(tl.review_due(self.t))
            review_due = tl.review_due(self.t)
        if not self.advance(24, 24 * 20):
            return self._still_open(review_due)
        reason = rng.choice(taxonomy.CLOSURE_REASONS[:5])
        self.deadline("review", review_due, self.t)
        if not self.approval("closure", reason):
            return "closure_requested", "closure"
        self.closed_at, self.closure_reason = self.t, reason
        self.event("closed", reason, author="supervisor")
        check_due = tl.post_closure_check_due(self.t)
        self.deadline("post_closure_check", check_due, check_due + self.w.hours(0, 24 * 10))
        return "closed", "closure"

    def _still_open(self, review_due: datetime) -> tuple[str, str]:
        self.deadline("review", review_due, None)
        step = "follow_up" if any(r["kind"] == "step_changed" and r["body"] == "follow_up"
                                  for r in self.rows.get(CaseEvent.__table__, [])) else "implementation"
        return "open", step

    def visit(self) -> None:
        self.put(CaseFollowUp.__table__, case_id=self.case_id, kind="visit", happened_at=self.t,
                 notes=self.rng.choice(self.NOTES), author_id=self.worker, next_due_at=None, created_at=self.t)
        self.event("follow_up", "visit")

    def review(self, next_due: datetime) -> None:
        self.put(CaseFollowUp.__table__, case_id=self.case_id, kind="review", happened_at=self.t,
                 notes="Revue du plan : objectifs en cours.", author_id=self.worker, next_due_at=next_due,
                 created_at=self.t)
        self.event("follow_up", "review")

    def referral(self) -> None:
        rng = self.rng
        service = rng.choice(self.w.services[self.org])
        status = rng.choice(taxonomy.REFERRAL_STATUSES)
        self.put(Referral.__table__, case_id=self.case_id, service_id=service, consent_id=self.sharing_consent,
                 status=status, notes="Orientation pour un soutien psychosocial.",
                 counter_referral_notes="2026-01-10: pris en charge." if status in ("accepted", "done") else None,
                 created_by_id=self.worker, created_at=self.t, updated_at=self.t)
        self.event("referral", f"{status}: Prestataire")

    def pad(self, events: int) -> None:
        """Bring the heaviest case to `events` timeline entries: notes and family messages over its life."""
        have = len(self.rows.get(CaseEvent.__table__, []))
        span = (min(self.t, self.now) - self.opened).total_seconds()
        for _ in range(max(0, events - have)):
            self.t = self.opened + timedelta(seconds=self.rng.uniform(0, span))
            self.family() if self.rng.random() < 0.3 else self.note()
        for _ in range(3):
            if self.sharing_consent is not None:
                self.referral()
