"""The "Worth knowing" digest: which non-task messages make it, in what order, and how they read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agent.digest import MAX_LINE, build_digest, classify
from agent.extractor import RuleBasedExtractor
from agent.state import Task
from collectors.base import Message
from config.settings import UserSettings
from tests.unit.test_extractor_default_fixture import NOW as FIXTURE_NOW
from tests.unit.test_extractor_default_fixture import USER as FIXTURE_USER
from tests.unit.test_extractor_default_fixture import _messages as fixture_messages

USER = UserSettings(mailing_lists=("eng-all@northwind.example",))
T0 = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)


def mail(
    text: str,
    *,
    id: str,
    subject: str = "Update",
    sender: str = "Dana Kim",
    address: str = "dana.kim@northwind.example",
    to: list[str] | None = None,
    cc: list[str] | None = None,
    minutes: int = 0,
    thread: str | None = None,
    automated: bool = False,
) -> Message:
    return Message(
        id=f"email:{id}",
        source="email",
        source_id=id,
        sender=sender,
        sender_address=address,
        recipients=to if to is not None else ["eng-all@northwind.example"],
        cc=cc or [],
        subject=subject,
        text=text,
        timestamp=(T0 + timedelta(minutes=minutes)).isoformat(),
        thread=thread or id,
        channel="",
        channel_type="",
        automated=automated,
        link=f"https://mail.google.com/mail/u/0/#all/{id}",
    )


def chat(
    text: str,
    *,
    ts: str,
    channel: str = "C01ENG",
    kind: str = "channel",
    sender: str = "Lena Vogel",
    user_id: str = "U05LENAV",
    minutes: int = 0,
    thread_ts: str | None = None,
) -> Message:
    return Message(
        id=f"slack:{channel}:{ts}",
        source="slack",
        source_id=f"{channel}:{ts}",
        sender=sender,
        sender_address=user_id,
        recipients=[],
        cc=[],
        subject="#eng" if kind == "channel" else "DM",
        text=text,
        timestamp=(T0 + timedelta(minutes=minutes)).isoformat(),
        thread=f"{channel}:{thread_ts or ts}",
        channel=channel,
        channel_type=kind,
        automated=False,
        link=f"https://northwind.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    )


def digest(*messages: Message, tasks: list[Task] | None = None, limit: int = 10) -> list[tuple[str, str]]:
    return [(d["kind"], d["source_id"]) for d in build_digest(list(messages), tasks or [], user=USER, limit=limit)]


# --- each kind ------------------------------------------------------------------------


def test_incidents_decisions_and_announcements_are_recognised() -> None:
    items = digest(
        chat("SEV2: checkout is down in eu-west, we're on it", ts="1.1"),
        mail("Hi all,\n\nWe decided to go with Postgres 17 for the new clusters.\n\nDana", id="dec"),
        mail("Hi all,\n\nAnnouncing the new on-call policy, effective Monday.\n\nLena", id="ann", sender="Lena Vogel"),
    )
    assert items == [("incident", "C01ENG:1.1"), ("decision", "dec"), ("announcement", "ann")]


def test_reply_in_a_thread_the_user_started_is_a_reply() -> None:
    ask = chat(
        "Could someone grant me access to the billing dashboards?", ts="2.1", sender="Alex Rivera", user_id="U01ALEXR"
    )
    answer = chat("done, you should have access now", ts="2.2", thread_ts="2.1", minutes=5)
    thanks = chat("thanks!", ts="2.3", thread_ts="2.1", minutes=6, sender="Sam Okafor", user_id="U06SAM")
    assert digest(ask, answer, thanks) == [("reply", "C01ENG:2.2")]


def test_email_reply_to_the_users_mail_is_a_reply_even_without_the_original() -> None:
    quoted = mail(
        "Here is the export you asked for.\n\n"
        "On Wed, Nov 18, 2026 at 4:12 PM Alex Rivera wrote:\n> Can you send the export?",
        id="r1",
        subject="Re: Usage export",
        to=["alex.rivera@northwind.example", "sam.okafor@northwind.example"],
    )
    direct = mail(
        "Done, you should have editor access now.", id="r2", subject="Re: Grafana access", to=[USER.email], minutes=5
    )
    pics = mail("Great pics! See you at standup.", id="r3", subject="Re: offsite photos", to=[USER.email])
    items = build_digest([quoted, direct, pics], [], user=USER)
    assert [(d["kind"], d["source_id"]) for d in items] == [("reply", "r2"), ("reply", "r1")]
    assert items[0]["text"] == "Dana Kim replied on 'Grafana access': Done, you should have editor access now."


def test_classify_without_a_kind_is_none() -> None:
    assert classify(chat("who's up for coffee?", ts="3.1")) is None
    assert classify(chat("done!", ts="3.2")) is None  # an answer, but not in the user's conversation


# --- what stays out ---------------------------------------------------------------------


def test_automated_newsletters_chatter_and_own_messages_stay_out() -> None:
    items = digest(
        mail("Incident #4411 (api-gateway 5xx) was resolved.", id="pd", address="notifications@pagerduty.example"),
        mail("CI outage report: 3 builds failed.", id="ci", automated=True),
        mail("We launched 12 new features this month! Unsubscribe", id="nl", address="hello@vendor.example"),
        chat("morning all :wave:", ts="4.1"),
        chat("see you at standup", ts="4.2"),
        chat("Great job on the rollout, team :tada:", ts="4.3"),
        chat("I'll handle the incident 812 follow-ups myself.", ts="4.5"),  # the sender's plan, a project name
        chat("Notes from the incident 812 sync are in the wiki.", ts="4.6"),
        chat("We decided to go with Kafka.", ts="4.4", sender="Alex Rivera", user_id="U01ALEXR"),
    )
    assert items == []


def test_messages_that_became_tasks_stay_out() -> None:
    ask = mail(
        "Hi Alex,\n\nCan you write the postmortem for the outage by Friday?\n\nDana",
        id="task",
        to=[USER.email],
    )
    tasks = RuleBasedExtractor(USER).extract([ask], plan_date=T0.date(), now=T0 + timedelta(hours=1))
    assert len(tasks) == 1
    assert digest(ask, tasks=tasks) == []
    assert digest(ask) == [("incident", "task")]  # without the task it would have been an incident line


def test_one_line_per_conversation_keeps_the_latest_status() -> None:
    items = digest(
        chat("api-gateway outage: 502s everywhere", ts="5.1"),
        chat("rolled back to 2.14.1, errors are gone", ts="5.2", thread_ts="5.1", minutes=20),
        chat("seeing 502s in eu-west too", ts="5.3", thread_ts="5.1", minutes=5),
    )
    assert items == [("incident", "C01ENG:5.2")]


# --- order, limit, lines --------------------------------------------------------------------


def test_order_is_kind_then_newest_first() -> None:
    ask = chat("can someone share the Q3 report?", ts="6.0", sender="Alex Rivera", user_id="U01ALEXR")
    items = digest(
        mail("Announcing the winter party on Dec 12.", id="a-old", minutes=1),
        mail("Announcing the new travel policy.", id="a-new", minutes=50),
        mail("Decision: we keep the monorepo.", id="d", minutes=2),
        ask,
        chat("here's the report: https://docs.example/q3", ts="6.1", thread_ts="6.0", minutes=3),
        chat("postmortem for INC-900 is up", ts="6.2", minutes=0),
        chat("INC-901: elevated latency, investigating", ts="6.3", minutes=40),
    )
    assert items == [
        ("incident", "C01ENG:6.3"),
        ("incident", "C01ENG:6.2"),
        ("reply", "C01ENG:6.1"),
        ("decision", "d"),
        ("announcement", "a-new"),
        ("announcement", "a-old"),
    ]


def test_limit_keeps_the_most_important() -> None:
    many = [mail(f"Announcing release train {i}.", id=f"a{i:02d}", minutes=i) for i in range(15)]
    incident = chat("SEV1: payments are down", ts="7.1")
    assert len(digest(*many, incident)) == 10
    top = digest(*many, incident, limit=3)
    assert top == [("incident", "C01ENG:7.1"), ("announcement", "a14"), ("announcement", "a13")]
    assert digest(*many, limit=0) == []


def test_lines_are_short_single_lines_with_sender_and_link() -> None:
    long_text = "Hi all,\n\nWe decided to " + "migrate every single service " * 12 + "to the new platform.\n\nDana"
    (item,) = build_digest([mail(long_text, id="long")], [], user=USER)
    assert item["text"].startswith("Dana Kim: We decided")
    assert len(item["text"]) <= MAX_LINE and "\n" not in item["text"]
    assert item["link"] == "https://mail.google.com/mail/u/0/#all/long"
    chan = build_digest([chat("PSA: staging DB maintenance tonight 22:00-23:00 CET", ts="8.1")], [], user=USER)
    assert chan[0]["text"] == "Lena Vogel in #eng: Staging DB maintenance tonight 22:00-23:00 CET"


def test_digest_is_deterministic() -> None:
    messages = [
        mail("Announcing the new travel policy.", id="a1"),
        mail("Announcing the new expense policy.", id="a2"),  # same time: ties broken by id
        chat("SEV2: search is down", ts="9.1"),
    ]
    first = build_digest(messages, [], user=USER)
    assert build_digest(list(reversed(messages)), [], user=USER) == first


# --- the default fixtures, through the real collectors -----------------------------------------


def test_default_fixture_digest() -> None:
    messages = fixture_messages()
    tasks = RuleBasedExtractor(FIXTURE_USER).extract(messages, plan_date=FIXTURE_NOW.date(), now=FIXTURE_NOW)
    items = build_digest(messages, tasks, user=FIXTURE_USER)
    by_id = {m["source_id"]: m for m in messages}
    kinds = [d["kind"] for d in items]
    assert 5 <= len(items) <= 10
    assert kinds == sorted(kinds, key=["incident", "reply", "decision", "announcement"].index)
    texts = "\n".join(d["text"] for d in items)
    assert "INC-815 resolved" in texts  # incident
    assert "Lena Vogel replied on 'Grafana access'" in texts  # reply to Alex's access request
    assert "Headcount for 2027 was approved" in texts  # decision, though sent as an FYI
    assert "Berlin office is closed" in texts  # announcement
    task_sources = {s["source_id"] for t in tasks for s in t["sources"]}
    for d in items:
        message = by_id[d["source_id"]]
        assert not message["automated"] and d["source_id"] not in task_sources
        assert d["link"] == message["link"] and len(d["text"]) <= MAX_LINE
    assert "Northwind News" not in texts and "Build #" not in texts and "coffee" not in texts
