"""Generated fixture sets for load tests: deterministic, API-shaped, and quick to build.

``heavy_day`` is a very busy day: thousands of mails and Slack messages over the 20 hours
before ``now``. Everything comes from one seeded ``random.Random`` and ``now``; the wall
clock is never read, so the same ``now`` always yields the same set.
"""

from __future__ import annotations

import base64
import random
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from mocks.fixtures import FixtureSet

SEED = 20261118
EMAILS = 2100
SLACK_MESSAGES = 5200
SPAN = timedelta(hours=20)
NEWEST_GAP = timedelta(minutes=20)  # same landing spot as shifted fixture sets

ME = ("Alex Rivera", "alex.rivera@northwind.example", "U01ALEXR")
FIRST = ["Dana", "Priya", "Marco", "Lena", "Sam", "Jonas", "Aiko", "Omar", "Grace", "Tomás", "Ines", "Ravi"]
LAST = ["Kim", "Shah", "Bianchi", "Vogel", "Okafor", "Berg", "Tanaka", "Haddad", "Liu", "Díaz", "Moreau", "Patel"]
TOPICS = [
    "Q4 capacity plan",
    "billing migration",
    "on-call rota",
    "API rate limits",
    "release 4.2",
    "cost report",
    "Postgres upgrade",
    "SLO review",
    "hiring loop",
    "design doc",
    "incident 812",
    "vendor contract",
]
ASKS = [
    "Could you review the {t} by {d}?",
    "Can you send me the numbers for the {t} {d}?",
    "Please update the {t} doc {d}.",
    "Can you take a look at the {t} comments?",
    "Would you sign off on the {t}?",
    "Need your input on the {t} by {d}.",
]
FYIS = [
    "FYI: the {t} went out this morning.",
    "Heads up, the {t} moved to next sprint.",
    "Notes from the {t} sync are in the wiki.",
    "I'll handle the {t} follow-ups myself.",
]
DEADLINES = ["today", "EOD", "by tomorrow", "by Friday", "next week", "by 3pm"]
CHATTER = [
    "see you at standup",
    "lunch anyone?",
    "nice work on the {t}!",
    "thanks!",
    "+1",
    "on it",
    "deploy looks green",
    "coffee in 5?",
    "I'll be late to the {t} sync",
]


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")


def _part(mime: str, text: str) -> dict:
    return {
        "mimeType": mime,
        "filename": "",
        "headers": [{"name": "Content-Type", "value": f'{mime}; charset="UTF-8"'}],
        "body": {"size": len(text), "data": _b64(text)},
    }


def _email(index: int, rng: random.Random, moment: datetime, people: list[tuple[str, str, str]]) -> dict:
    kind = rng.choices(["ask", "fyi", "newsletter", "notification"], weights=[3, 3, 2, 2])[0]
    topic = rng.choice(TOPICS)
    name, address, _ = rng.choice(people)
    headers = [("Date", format_datetime(moment)), ("To", f"{ME[0]} <{ME[1]}>"), ("Message-ID", f"<g{index}@example>")]
    if kind == "ask":
        body = f"Hi Alex,\n\n{rng.choice(ASKS).format(t=topic, d=rng.choice(DEADLINES))}\n\nThanks,\n{name.split()[0]}"
        subject, sender = f"{topic.capitalize()}", f"{name} <{address}>"
    elif kind == "fyi":
        body = f"Hi all,\n\n{rng.choice(FYIS).format(t=topic)}\n\n-- \n{name}\nNorthwind"
        subject, sender = f"FYI: {topic}", f"{name} <{address}>"
    elif kind == "newsletter":
        body = (
            f"<html><body><h1>Weekly digest</h1><p>Top story: {topic}.</p><p style='display:none'>preheader</p>"
            f"<a href='https://news.example/u'>Unsubscribe</a></body></html>"
        )
        subject, sender = f"Digest #{index}: {topic}", "Platform Weekly <digest@news.example>"
        headers.append(("List-Unsubscribe", "<https://news.example/u>"))
    else:
        body = f"Build #{index} for {topic} finished: {rng.choice(['passed', 'failed', 'flaky'])}."
        subject, sender = f"[CI] build {index}", "CI <noreply@ci.northwind.example>"
        headers.append(("Auto-Submitted", "auto-generated"))
    headers += [("From", sender), ("Subject", subject)]
    if kind in ("ask", "fyi"):
        html = "<div>" + body.replace("\n", "<br>") + "</div>"
        payload = {"mimeType": "multipart/alternative", "parts": [_part("text/plain", body), _part("text/html", html)]}
    elif kind == "newsletter":
        payload = _part("text/html", body)
    else:
        payload = _part("text/plain", body)
    payload["headers"] = [{"name": k, "value": v} for k, v in headers] + payload.get("headers", [])
    payload.setdefault("body", {"size": 0})
    gmail_id = f"h{index:05x}"
    return {
        "id": gmail_id,
        "threadId": gmail_id,
        "labelIds": ["INBOX"] + (["UNREAD"] if index % 3 else []),
        "snippet": body[:80],
        "internalDate": str(int(moment.timestamp() * 1000)),
        "payload": payload,
    }


# (start, minutes, title, response): a packed day with back-to-back meetings, one declined, one cancelled.
MEETINGS = [
    ("09:00", 15, "Platform standup", "accepted"),
    ("09:30", 60, "Incident 812 postmortem", "accepted"),
    ("10:30", 30, "1:1 Alex / Dana", "accepted"),
    ("11:00", 45, "Billing migration sync", "accepted"),
    ("13:30", 30, "Hiring loop debrief", "accepted"),
    ("14:00", 60, "Q4 capacity planning", "accepted"),
    ("15:00", 25, "Cost report walkthrough", "accepted"),
    ("15:30", 30, "Vendor contract call", "declined"),
    ("16:00", 45, "SLO review", "accepted"),
    ("16:45", 30, "Release 4.2 go/no-go", "cancelled"),
]


def _meetings(now: datetime, people: list[tuple[str, str, str]]) -> list[dict]:
    """events.list items on ``now``'s date (in ``now``'s timezone): about eight meetings that count."""
    tz = now.tzinfo or UTC
    zone = getattr(tz, "key", "UTC")
    day = now.date()
    events = []
    for index, (start, minutes, title, response) in enumerate(MEETINGS):
        hour, minute = map(int, start.split(":"))
        begin = datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz)
        organizer = people[index % len(people)]
        events.append(
            {
                "kind": "calendar#event",
                "id": f"heavy{index:02d}{day:%Y%m%d}",
                "status": "cancelled" if response == "cancelled" else "confirmed",
                "summary": title,
                "htmlLink": f"https://www.google.com/calendar/event?eid=heavy{index:02d}",
                "organizer": {"email": organizer[1], "displayName": organizer[0]},
                "start": {"dateTime": begin.isoformat(), "timeZone": zone},
                "end": {"dateTime": (begin + timedelta(minutes=minutes)).isoformat(), "timeZone": zone},
                "attendees": [
                    {
                        "email": ME[1],
                        "self": True,
                        "responseStatus": "declined" if response == "declined" else "accepted",
                    },
                    {"email": organizer[1], "organizer": True, "responseStatus": "accepted"},
                ],
            }
        )
    return events


def heavy_day(now: datetime) -> FixtureSet:
    """A deterministic, very busy day: at least 2,000 mails and 5,000 Slack messages."""
    rng = random.Random(SEED)
    newest = now.astimezone(UTC) - NEWEST_GAP
    start = newest - SPAN

    def moment() -> datetime:
        return start + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))

    people = [
        (f"{f} {ln}", f"{f.lower()}.{ln.lower()}@northwind.example", f"U{i:03d}PPL")
        for i, (f, ln) in enumerate(zip(FIRST, LAST, strict=True))
    ]
    emails = [_email(i, rng, moment(), people) for i in range(EMAILS - 1)]
    emails.append(_email(EMAILS - 1, rng, newest, people))  # pin the newest so the span is exact

    users = {
        uid: {"id": uid, "name": n.split()[0].lower(), "real_name": n, "profile": {"display_name": n}}
        for n, _, uid in [*people, ME]
    }
    conversations: list[dict] = []
    for i in range(20):
        conversations.append({"id": f"C{i:04d}HV", "name": f"team-{i:02d}", "is_channel": True})
    for i, (_, _, uid) in enumerate(people[:8]):
        conversations.append({"id": f"D{i:04d}HV", "is_im": True, "user": uid})
    conversations += [{"id": f"G{i:04d}HV", "name": f"mpdm-{i}", "is_mpim": True, "is_group": True} for i in range(2)]

    history: dict[str, list[dict]] = {c["id"]: [] for c in conversations}
    replies: dict[str, list[dict]] = {}
    used: set[str] = set()

    def new_ts(when: datetime) -> str:
        while True:
            ts = f"{int(when.timestamp())}.{rng.randrange(1_000_000):06d}"
            if ts not in used:
                used.add(ts)
                return ts

    def text() -> str:
        topic = rng.choice(TOPICS)
        roll = rng.random()
        if roll < 0.25:
            return f"<@{ME[2]}> " + rng.choice(ASKS).format(t=topic, d=rng.choice(DEADLINES))
        if roll < 0.45:
            return rng.choice(FYIS).format(t=topic)
        return rng.choice(CHATTER).format(t=topic)

    count = 0
    while count < SLACK_MESSAGES:
        channel = rng.choice(conversations)
        when = newest if count == 0 else moment()
        author = channel.get("user") if channel.get("is_im") and rng.random() < 0.7 else rng.choice(people)[2]
        parent = {"type": "message", "user": author, "text": text(), "ts": new_ts(when)}
        history[channel["id"]].append(parent)
        count += 1
        if rng.random() < 0.04 and when < newest - timedelta(minutes=30):
            thread = []
            for _ in range(rng.randint(1, 6)):
                later = min(when + timedelta(minutes=rng.randint(1, 25)), newest)
                thread.append(
                    {
                        "type": "message",
                        "user": rng.choice(people)[2],
                        "text": text(),
                        "ts": new_ts(later),
                        "thread_ts": parent["ts"],
                        "parent_user_id": author,
                    }
                )
            thread.sort(key=lambda m: m["ts"])
            parent.update(thread_ts=parent["ts"], reply_count=len(thread), latest_reply=thread[-1]["ts"])
            replies[f"{channel['id']}:{parent['ts']}"] = [dict(parent), *thread]
            count += len(thread)

    return FixtureSet(
        calendar=_meetings(now, people),
        gmail=emails,
        slack_auth={
            "ok": True,
            "url": "https://northwind.slack.com/",
            "team": "Northwind",
            "user": "alex",
            "team_id": "T01NORTH",
            "user_id": ME[2],
        },
        slack_users=users,
        slack_conversations=conversations,
        slack_history=history,
        slack_replies=replies,
    )
