"""Rule-based extractor: who a message is for, what counts as a request, dates, merging, determinism."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.extract.dates import find_due
from agent.extractor import RuleBasedExtractor, task_id
from collectors.base import Message, Window
from collectors.gmail import GmailCollector
from collectors.slack import SlackCollector
from config.settings import UserSettings
from mocks.clients import MockGmailClient, MockSlackClient
from mocks.fixtures import load_fixture_set

USER = UserSettings(
    name="Alex Rivera",
    email="alex.rivera@northwind.example",
    slack_id="U01ALEXR",
    timezone="Europe/Berlin",
    mailing_lists=("eng-team@northwind.example",),
)
PLAN_DATE = date(2026, 11, 20)  # a Friday
NOW = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)  # 08:00 in Berlin
# Wednesday 18 Nov 2026, 10:00 Berlin: the default send time, so "tomorrow" is Thursday 19 Nov.
SENT = datetime(2026, 11, 18, 9, 0, tzinfo=UTC)


def email(
    text: str,
    *,
    id: str = "m1",
    to: list[str] | None = None,
    cc: list[str] | None = None,
    sender: str = "Dana Kim",
    address: str = "dana.kim@northwind.example",
    subject: str = "Quick ask",
    sent: datetime = SENT,
    thread: str | None = None,
    automated: bool = False,
) -> Message:
    return Message(
        id=f"email:{id}",
        source="email",
        source_id=id,
        sender=sender,
        sender_address=address,
        recipients=to if to is not None else [USER.email],
        cc=cc or [],
        subject=subject,
        text=text,
        timestamp=sent.isoformat().replace("+00:00", "Z"),
        thread=thread or f"t-{id}",
        channel="",
        channel_type="",
        automated=automated,
        link=f"https://mail.google.com/mail/u/0/#all/{id}",
    )


def slack(
    text: str,
    *,
    ts: str = "1763456400.000100",
    channel: str = "D01DANA",
    kind: str = "im",
    sender: str = "Dana Kim",
    user_id: str = "U02DANA",
    mentions: list[str] | None = None,
    sent: datetime = SENT,
    thread_ts: str | None = None,
) -> Message:
    return Message(
        id=f"slack:{channel}:{ts}",
        source="slack",
        source_id=f"{channel}:{ts}",
        sender=sender,
        sender_address=user_id,
        recipients=mentions or [],
        cc=[],
        subject="DM" if kind == "im" else "#eng",
        text=text,
        timestamp=sent.isoformat().replace("+00:00", "Z"),
        thread=f"{channel}:{thread_ts or ts}",
        channel=channel,
        channel_type=kind,
        automated=False,
        link=f"https://northwind.slack.com/archives/{channel}/p{ts.replace('.', '')}",
    )


def run(*messages: Message, **kwargs: Any) -> list[Any]:
    return RuleBasedExtractor(USER).extract(list(messages), plan_date=kwargs.get("plan_date", PLAN_DATE), now=NOW)


def only(*messages: Message) -> Any:
    tasks = run(*messages)
    assert len(tasks) == 1, tasks
    return tasks[0]


# --- who the message is for -----------------------------------------------------------


def test_direct_email_request_becomes_task_with_clean_title() -> None:
    task = only(email("Hi Alex,\n\nCould you please review the Q4 roadmap doc by Friday?\n\nThanks,\nDana"))
    assert task["title"] == "Review the Q4 roadmap doc"
    assert task["requester"] == "Dana Kim"
    assert task["due"] == "2026-11-20"
    assert task["sources"] == [
        {"source": "email", "source_id": "m1", "link": "https://mail.google.com/mail/u/0/#all/m1"}
    ]
    assert task["scheduled"] is None
    assert task["id"] == task_id(["email:m1"])


def test_mail_to_someone_else_is_not_a_task() -> None:
    assert run(email("Please review the doc.", to=["sam@northwind.example"])) == []


def test_mailing_list_request_is_a_group_task() -> None:
    task = only(email("Can someone update the on-call runbook?", to=["eng-team@northwind.example"]))
    assert task["title"] == "Update the on-call runbook"


def test_cc_only_needs_the_first_name() -> None:
    others = ["sam@northwind.example"]
    assert run(email("Sam, please send the invoice.", to=others, cc=[USER.email])) == []
    task = only(
        email("Sam, please send the invoice. Alex, could you approve the budget line?", to=others, cc=[USER.email])
    )
    assert task["title"] == "Approve the budget line"


def test_slack_channel_needs_mention_or_broadcast() -> None:
    plain = slack("Can someone restart the staging box?", kind="channel", channel="C01ENG")
    mention = slack(
        "@Alex Rivera can you restart the staging box?",
        kind="channel",
        channel="C01ENG",
        mentions=["U01ALEXR"],
        ts="1763456401.000100",
    )
    here = slack("@here could someone check the flaky test?", kind="channel", channel="C01ENG", ts="1763456402.000100")
    titles = sorted(t["title"] for t in run(plain, mention, here))
    assert titles == ["Check the flaky test", "Restart the staging box"]


def test_group_dm_request_is_a_task() -> None:
    task = only(slack("could you send me the vendor contract?", kind="mpim", channel="G01MIX"))
    assert task["title"] == "Send Dana the vendor contract"


def test_messages_sent_by_the_user_are_ignored() -> None:
    mine = email("Please review my draft.", sender="Alex Rivera", address=USER.email, to=[USER.email])
    assert run(mine, slack("Can you review this?", user_id="U01ALEXR", sender="Alex Rivera")) == []


# --- what is not a request --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "FYI: the deploy moved to Thursday.",
        "No action needed, just keeping you posted on the migration.",
        "For your information, please find the minutes attached.",
        "I'll send the slides tomorrow.",
        "I will review the PR tonight.",
        "I'm going to update the runbook this afternoon.",
        "Running 5 min late, see you at standup.",
        "Thanks for sending the numbers!",
        "Great work on the launch yesterday.",
    ],
)
def test_non_requests_make_no_task(text: str) -> None:
    assert run(email(text)) == []


def test_automated_and_newsletter_mail_make_no_task() -> None:
    bot = email("Please review your billing settings.", automated=True)
    news = email("Please read our top stories. Unsubscribe here.", id="m2", address="news@vendor.example")
    noreply = email("Please confirm your account.", id="m3", address="no-reply@service.example")
    assert run(bot, news, noreply) == []


def test_own_task_sentence_does_not_hide_a_real_request() -> None:
    task = only(email("I'll send the draft tonight. Can you proofread it tomorrow?", subject="Launch blog post"))
    assert task["title"] == "Proofread Launch blog post"
    assert task["due"] == "2026-11-19"


# --- closing replies ---------------------------------------------------------------------


@pytest.mark.parametrize("reply", ["Never mind, found it!", "nvm", "Done, thanks", "No longer needed.", "All sorted."])
def test_closing_reply_from_requester_removes_task(reply: str) -> None:
    ask = slack("Can you send me the Q3 numbers?")
    close = slack(reply, ts="1763460000.000100", sent=SENT + timedelta(hours=1))
    assert run(ask, close) == []


def test_closing_reply_from_someone_else_or_earlier_keeps_task() -> None:
    ask = email("Can you send me the Q3 numbers?", thread="t1")
    other = email(
        "Never mind.",
        id="m2",
        thread="t1",
        sender="Sam Lee",
        address="sam@northwind.example",
        sent=SENT + timedelta(hours=1),
    )
    earlier = email("nvm", id="m0", thread="t1", sent=SENT - timedelta(hours=1))
    assert len(run(ask, other, earlier)) == 1


# --- due dates: each form, resolved against the message's local date (Wednesday 18 Nov) -----


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("today", "2026-11-18"),
        ("tonight", "2026-11-18"),
        ("by EOD", "2026-11-18"),
        ("by end of day", "2026-11-18"),
        ("tomorrow", "2026-11-19"),
        ("by EOW", "2026-11-20"),
        ("by the end of the week", "2026-11-20"),
        ("by Friday", "2026-11-20"),
        ("on Monday", "2026-11-23"),
        ("on Wednesday", "2026-11-18"),  # the message's own weekday means that same day
        ("next week", "2026-11-23"),
        ("by 2026-11-27", "2026-11-27"),
        ("by November 27", "2026-11-27"),
        ("by 27 Nov", "2026-11-27"),
        ("by Nov 27th", "2026-11-27"),
        ("by 3pm", "2026-11-18"),
        ("by 9am", "2026-11-18"),  # already past at 10:00, but still that day: the request is overdue
        ("by 3pm tomorrow", "2026-11-19"),
        ("by Jan 5", "2027-01-05"),
        ("by Wednesday 25 Nov", "2026-11-25"),  # the date wins over its weekday
        ("by the 25th", "2026-11-25"),
        ("before noon", "2026-11-18"),
        ("next Tuesday", "2026-11-24"),
        ("by 15:00 tomorrow", "2026-11-19"),
    ],
)
def test_due_date_forms(phrase: str, expected: str) -> None:
    task = only(email(f"Could you send the vendor list {phrase}?"))
    assert task["due"] == expected
    assert task["title"] == "Send the vendor list"


def test_past_references_are_not_deadlines() -> None:
    task = only(email("Can you look at the outage report from last Friday?"))
    assert (task["due"], task["title"]) == (None, "Look at the outage report from last Friday")
    assert find_due("the notes from yesterday, by Monday please", SENT) == date(2026, 11, 23)


def test_due_uses_message_local_date_not_utc() -> None:
    # 23:30 UTC on the 18th is already the 19th in Berlin: "tomorrow" is the 20th.
    late = datetime(2026, 11, 18, 23, 30, tzinfo=UTC)
    assert find_due("send it tomorrow", late.astimezone(USER.tz)) == date(2026, 11, 20)


def test_no_deadline_gives_none_and_p3() -> None:
    task = only(email("Could you look into the flaky login test?"))
    assert task["due"] is None
    assert (task["priority"], task["priority_reason"]) == ("P3", "no deadline")


# --- priority and estimates --------------------------------------------------------------


def test_priorities_and_reasons() -> None:
    tasks = {
        t["title"]: t
        for t in run(
            email("URGENT: can you restart the billing job? Checkout is down.", id="a"),
            email("Please send the signed NDA today.", id="b"),
            email("Please review the hiring plan by Friday.", id="c", sent=SENT + timedelta(days=1)),
            email("Please draft the offsite agenda by November 25.", id="d"),
            slack("can you share the Figma link?"),
            email("Could you update the wiki? No rush.", id="e"),
        )
    }
    assert tasks["Restart the billing job"]["priority"] == "P0"
    assert tasks["Send the signed NDA"]["priority_reason"].startswith("overdue")
    assert (tasks["Review the hiring plan"]["priority"], tasks["Review the hiring plan"]["priority_reason"]) == (
        "P1",
        "due today",
    )
    assert (tasks["Draft the offsite agenda"]["priority"], tasks["Draft the offsite agenda"]["priority_reason"]) == (
        "P3",
        "due Wed 25 Nov",
    )
    assert tasks["Share the Figma link"]["priority"] == "P2"
    assert tasks["Update the wiki"]["priority_reason"] == "not urgent"


def test_due_this_week_is_p2() -> None:
    extractor = RuleBasedExtractor(USER)
    task = extractor.extract([email("Please review the budget by Sunday.")], plan_date=date(2026, 11, 18), now=NOW)[0]
    assert (task["priority"], task["priority_reason"]) == ("P2", "due Sunday")


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("Can you confirm the venue?", 15),
        ("Please review the PR.", 45),
        ("Could you write the release notes?", 90),
        ("Can you investigate the memory leak?", 60),
        ("Could you handle the vendor?", 30),
    ],
)
def test_estimates_by_keyword(text: str, minutes: int) -> None:
    assert only(email(text))["estimate_minutes"] == minutes


# --- merging across sources, ids, order ----------------------------------------------------


def test_same_request_by_email_and_slack_is_one_task_with_both_sources() -> None:
    mail = email("Hi Alex, could you please review the Q4 roadmap doc by Friday?", id="zz9")
    chat = slack("hey, can you review the Q4 roadmap doc by Friday? thanks!", ts="1763456300.000100")
    task = only(chat, mail)
    assert [s["source"] for s in task["sources"]] == ["email", "slack"]
    assert task["id"] == task_id(["slack:D01DANA:1763456300.000100", "email:zz9"])
    assert task["title"] == "Review the Q4 roadmap doc"


def test_different_requests_or_requesters_are_not_merged() -> None:
    tasks = run(
        email("Could you review the Q4 roadmap doc?"),
        slack("Can you review the Q4 roadmap doc?", sender="Sam Lee", user_id="U03SAM"),
        slack("Can you book the offsite venue?", ts="1763456500.000100"),
    )
    assert len(tasks) == 3


def test_different_due_dates_are_not_merged() -> None:
    friday = email("Please review the roadmap doc by Friday.")
    assert len(run(friday, slack("Please review the roadmap doc on Monday."))) == 2


def test_ids_and_output_are_stable_and_order_independent() -> None:
    messages = [
        email("Please send the signed NDA today.", id="b"),
        email("Could you review the deck?", id="c"),
        slack("urgent: can you approve the hotfix?"),
        slack("Can you book the room for Tuesday?", ts="1763456500.000100"),
    ]
    first = run(*messages)
    assert run(*reversed(messages)) == first
    assert [t["priority"] for t in first] == sorted(t["priority"] for t in first)
    assert all(len(t["id"]) == 12 for t in first)


def test_heavy_day_extraction_is_deterministic_and_finds_requests() -> None:
    # The generated heavy day (2,100 mails, 5,200 Slack messages) read through the real collectors.
    # Its speed is measured by `make bench`, not asserted here.
    now = datetime(2026, 11, 20, 8, 0, tzinfo=USER.tz)
    fixtures = load_fixture_set(
        "generated:heavy_day", base_dir=Path(__file__).resolve().parents[2] / "mocks" / "fixtures", now=now
    )
    window = Window(since=now - timedelta(hours=24), until=now)
    messages = GmailCollector(MockGmailClient(fixtures), max_chars=2000).collect(window)["messages"]
    messages += SlackCollector(MockSlackClient(fixtures), max_chars=2000).collect(window)["messages"]
    assert len(messages) >= 7000
    extractor = RuleBasedExtractor(USER)
    tasks = extractor.extract(messages, plan_date=now.date(), now=now)
    assert len(tasks) > 100
    assert extractor.extract(list(reversed(messages)), plan_date=now.date(), now=now) == tasks
