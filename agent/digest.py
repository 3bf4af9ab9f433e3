""" "Worth knowing": notable messages that are not tasks, one line each, the most important first.

Kinds, in order of importance: incidents (outage, INC-123, SEV, postmortem), replies to the user (in a
thread the user started or posted in), decisions ("we decided", "going with", "was approved") and
announcements (launches, releases shipped, re-orgs, policies, "announcing", PSAs). Automated mail,
newsletters, calendar invitations, the user's own messages and messages that became tasks stay out;
chatter stays out because it matches no kind. One item per conversation: a long incident thread is one
line, not ten. Deterministic: the same messages and tasks always give the same lines in the same order.
"""

from __future__ import annotations

import re
from datetime import datetime

from agent.extract.rules import Addressee, is_aside, is_noise, reports_done, sent_by_user, sentences, strip_lead
from agent.extract.titles import clean_subject, shorten
from agent.state import DigestItem, Task
from collectors.base import Message
from config.settings import UserSettings

__all__ = ["MAX_LINE", "build_digest", "classify"]

MAX_LINE = 140
_KIND_RANK = {"incident": 0, "reply": 1, "decision": 2, "announcement": 3}

# Patterns run on lower-cased text. Each kind's pattern also picks the sentence used as the gist.
# Bare "incident" is left out: "the incident 812 sync" is a project name; an incident line says what happened.
_INCIDENT = re.compile(
    r"\b(?:outages?|inc-\d+|sev[ -]?[0-4]|post-?mortem|(?:is|are|went) down|rolled back|degraded|data loss"
    r"|security breach|(?:major|ongoing|open) incident|incident (?:is |was |has been )?(?:resolved|declared|opened"
    r"|mitigated|ongoing|update))\b"
)
_DECISION = re.compile(
    r"\b(?:we(?:'ve| have)? decided|decided to|decision:|going with|go with (?:option|plan)"
    r"|(?:was|were|has been|have been|got|is) approved|approved (?:the|our)|signed off on|agreed (?:to|on))"
)
_ANNOUNCEMENT = re.compile(
    r"\b(?:announc(?:e|es|ed|ing|ement)|launch(?:ed|es|ing)?|(?:is|are|went|now) live|shipped|now available"
    r"|generally available|release \d[\w.]* (?:cut|is out|shipped|goes out)|re-?org(?:anization)?|policy"
    r"|psa\b|office (?:will be |is )?closed|maintenance|deprecat(?:ed|ing|ion)|welcome (?:our|to the team))"
)
# A reply whose only content is thanks or a closing is not worth a line even in the user's thread.
_EMPTY_REPLY = re.compile(r"^(?:thanks?|thank you|thx|ty|ok(?:ay)?|cool|nice|great|\+1|:\w+:|never ?mind|nvm)\b")
# What an answer to the user's own request says: it is done, here it is, it was granted.
_ANSWER = re.compile(
    r"\b(?:done|fixed|here(?:'s| is| are)|attached|granted|approved|sent|merged|deployed|you should (?:now )?have"
    r"|added you|gave you|answer is|it'?s (?:in|on|at))\b"
)
_RE_SUBJECT = re.compile(r"^\s*(?:re|aw)\s*:", re.I)
_LEAD_LABEL = re.compile(r"^(?:fyi|psa|heads[- ]up|update|announcement|decision)\b[\s:,!.-]*", re.I)
_SIGN_OFF = re.compile(r"^(?:thanks|cheers|best|regards|thank you)\b[\s,!.]*$|^[A-Z][a-z]+$", re.I)


def classify(message: Message, *, mine: bool = False) -> str | None:
    """The message's digest kind, or None. ``mine``: the message is in a conversation the user started or joined."""
    # The sender's own plans and chatter ("I'll handle the outage follow-ups", "see you at the postmortem") are
    # not news; only the other sentences, and an email's subject, are read.
    parts = [p for p in sentences(message["text"]) if not _aside(p)]
    low = "\n".join(parts).lower() + "\n" + (message["subject"].lower() if message["source"] == "email" else "")
    if _INCIDENT.search(low):
        return "incident"
    if mine and _is_answer(message):
        return "reply"
    if _DECISION.search(low):
        return "decision"
    if _ANNOUNCEMENT.search(low):
        return "announcement"
    return None


def _aside(sentence: str) -> bool:
    # "FYI"/"PSA" labels are dropped first: for the extractor they mark a non-request, here they mark the news.
    return is_aside(_LEAD_LABEL.sub("", strip_lead(sentence)))


def _is_answer(message: Message) -> bool:
    parts = sentences(message["text"])
    if not parts or _EMPTY_REPLY.search(strip_lead(parts[0]).lower()):
        return False
    return reports_done(parts) or _ANSWER.search(message["text"].lower()) is not None


def _replies_to_user(message: Message, me: Addressee) -> bool:
    """An email reply to the user's mail when the user's own message is older than the window.

    It quotes the user ("On Tue, ... Alex Rivera wrote:"), or it is a "Re:" sent to the user alone; the
    answer test in ``classify`` then keeps "Great pics!" out while "Done, you have access now" stays.
    """
    if message["source"] != "email" or not _RE_SUBJECT.search(message["subject"]):
        return False
    low = message["text"].lower()
    if f"{me.name} wrote:" in low or f"<{me.email}> wrote:" in low:
        return True
    return [a.lower() for a in message["recipients"]] == [me.email] and not message["cc"]


def _gist(message: Message, kind: str) -> str:
    """The sentence that made the message notable, without greetings, labels or sign-offs."""
    pattern = {"incident": _INCIDENT, "decision": _DECISION, "announcement": _ANNOUNCEMENT}.get(kind)
    parts = [strip_lead(p) for p in sentences(message["text"]) if not _aside(p)]
    parts = [p for p in parts if p and not _SIGN_OFF.match(p)]
    chosen = next((p for p in parts if pattern and pattern.search(p.lower())), None)
    if chosen is None:
        chosen = parts[0] if parts else message["subject"]
    chosen = _LEAD_LABEL.sub("", chosen).strip()
    return chosen[:1].upper() + chosen[1:]


def _line(message: Message, kind: str) -> str:
    who = message["sender"]
    if message["source"] == "slack" and message["channel_type"] in ("channel", "group"):
        who = f"{who} in {message['subject'].split()[0]}"  # "#incidents channel" -> "#incidents"
    if kind == "reply":
        topic = clean_subject(message["subject"]) if message["source"] == "email" else ""
        who += f" replied on {topic!r}" if topic else " replied"
    return shorten(f"{who}: {_gist(message, kind)}", MAX_LINE)


def build_digest(
    messages: list[Message], tasks: list[Task], *, user: UserSettings, limit: int = 10
) -> list[DigestItem]:
    """At most ``limit`` notable non-task messages: incident > reply to you > decision > announcement, newer first."""
    me = Addressee.of(user)
    task_ids = {f"{s['source']}:{s['source_id']}" for t in tasks for s in t["sources"]}
    ordered = sorted(messages, key=lambda m: (datetime.fromisoformat(m["timestamp"]), m["id"]))
    my_threads: set[str] = set()  # conversations the user started or posted in, so far
    best: dict[str, tuple[int, float, str, Message, str]] = {}  # thread -> the item that represents it
    for message in ordered:
        thread = f"{message['source']}:{message['thread']}"
        # In a DM every message is its own thread; an answer after the user's question is in the same DM.
        dm = f"slack:channel:{message['channel']}" if message["channel_type"] in ("im", "mpim") else thread
        if sent_by_user(message, me):
            my_threads.update((thread, dm))
            continue
        if message["id"] in task_ids:
            continue
        if is_noise(message, message["text"].lower()) in ("automated", "newsletter", "calendar"):
            continue  # "fyi" noise stays in: "FYI: headcount was approved" is exactly what belongs here
        mine = thread in my_threads or dm in my_threads or _replies_to_user(message, me)
        kind = classify(message, mine=mine)
        if kind is None:
            continue
        rank = _KIND_RANK[kind]
        when = datetime.fromisoformat(message["timestamp"]).timestamp()
        current = best.get(thread)
        # Within one conversation keep the most important kind, then the newest message (the latest status).
        if current is None or (rank, -when) < (current[0], -current[1]):
            best[thread] = (rank, when, message["id"], message, kind)
    chosen = sorted(best.values(), key=lambda item: (item[0], -item[1], item[2]))[: max(limit, 0)]
    return [
        DigestItem(kind=kind, text=_line(message, kind), link=message["link"], source_id=message["source_id"])
        for _, _, _, message, kind in chosen
    ]
