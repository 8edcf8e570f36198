"""What `make bench-ingest` checks after the workers drained the inbox: every acknowledged message stored once and
answered once, nothing else; and the per-process figures it reports (CPU of a process tree, resident memory)."""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bench.servers import _stat_fields, live_cpu_seconds


@dataclass
class Verdict:
    """How the inbox and the providers' fakes compare with what the webhook acknowledged."""

    acknowledged: int = 0
    stored: int = 0
    processed: int = 0
    missing: int = 0  # acknowledged, not in the inbox
    not_acknowledged: int = 0  # in the inbox, never acknowledged (the client gave up on the answer)
    not_processed: Counter = field(default_factory=Counter)  # by status
    reply_rows: int = 0
    reply_rows_sent: int = 0
    senders: int = 0
    unanswered: int = 0  # messages without a reply, summed over senders
    answered_twice: int = 0  # replies beyond one per message, summed over senders
    other_sends: int = 0  # sends to numbers that wrote nothing

    @property
    def nothing_lost(self) -> bool:
        """Every acknowledged message stored once, handled, answered once; nothing else stored or sent."""
        return (self.missing == self.not_acknowledged == self.unanswered == self.answered_twice == self.other_sends
                == 0 and not self.not_processed and self.processed == self.acknowledged == self.reply_rows_sent)


def waiting(database_url: str) -> tuple[int, int]:
    """(inbound messages not yet handled, replies not yet sent or failed)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            inbound = conn.scalar(text("SELECT count(*) FROM inbound_message WHERE status = 'received'"))
            outbound = conn.scalar(text("SELECT count(*) FROM outbound_message WHERE status IN "
                                        "('queued', 'sending', 'unknown')"))
    finally:
        engine.dispose()
    return inbound, outbound


def check(database_url: str, acknowledged: list[tuple[str, str, str]], sent_to: list[str]) -> Verdict:
    """Compare the acknowledged (sender, kind, provider id) with the inbox rows and the numbers the fakes got
    messages for (one entry per recipient of each send)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT provider_message_id, status FROM inbound_message")).all()
            replies = conn.execute(text("SELECT status FROM outbound_message WHERE purpose_key LIKE 'reply:%'")).all()
    finally:
        engine.dispose()
    verdict = Verdict(acknowledged=len(acknowledged), stored=len(rows))
    status_of = {message_id: status for message_id, status in rows}
    acked_ids = {message_id for _sender, _kind, message_id in acknowledged}
    verdict.missing = len(acked_ids - status_of.keys()) + (len(acknowledged) - len(acked_ids))
    verdict.not_acknowledged = len(status_of.keys() - acked_ids)
    verdict.processed = sum(status == "processed" for status in status_of.values())
    verdict.not_processed = Counter(status for status in status_of.values() if status != "processed")
    verdict.reply_rows = len(replies)
    verdict.reply_rows_sent = sum(status == "sent" for (status,) in replies)
    expected = Counter(sender for sender, _kind, _id in acknowledged)
    got = Counter(sent_to)
    verdict.senders = len(expected)
    for sender, count in expected.items():
        verdict.unanswered += max(0, count - got.get(sender, 0))
        verdict.answered_twice += max(0, got.get(sender, 0) - count)
    verdict.other_sends = sum(count for number, count in got.items() if number not in expected)
    return verdict


def recipients(at_requests: list[dict], twilio_requests: list[dict]) -> list[str]:
    """The numbers the fakes were asked to send to, once per recipient of each accepted send."""
    numbers = []
    for request in at_requests:
        if request.get("http_status", 0) < 300:
            numbers += [n.strip() for n in request["form"].get("to", "").split(",") if n.strip()]
    for request in twilio_requests:
        if request.get("http_status", 0) < 300 and "To" in request.get("form", {}):
            numbers.append(request["form"]["To"].removeprefix("whatsapp:"))
    return numbers


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live children (PostgreSQL's postmaster and backends)."""
    return live_cpu_seconds(lambda own, parent, _group: pid in (own, parent))


def group_cpu_with_children(pgid: int) -> float:
    """User + system CPU seconds of a process group's live processes and of the children they reaped (RQ's worker
    forks a work horse per job: its CPU is only seen once reaped)."""
    ticks = 0
    for pid in group_members(pgid):
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        ticks += sum(int(value) for value in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def group_members(pgid: int) -> list[int]:
    """The live processes of a process group."""
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if int(_stat_fields(entry)[2]) == pgid:
                    pids.append(int(entry))
            except OSError:
                continue
    return pids


def gunicorn_workers(pgid: int) -> list[int]:
    """The gunicorn worker processes of a web group: the gunicorn processes whose parent is gunicorn (the master)."""
    members = group_members(pgid)
    gunicorns = {pid for pid in members if b"gunicorn" in _cmdline(pid)}
    return sorted(pid for pid in gunicorns if _parent(pid) in gunicorns)


def resident_mb(pid: int) -> float:
    """A process's resident memory (VmRSS) in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def _parent(pid: int) -> int:
    try:
        return int(_stat_fields(pid)[1])
    except OSError:
        return -1


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
