"""Gmail resource -> Message: MIME selection, charsets, cleaning, headers."""

from __future__ import annotations

import base64

import pytest

from collectors.parsing import SkipItem, cap_text
from collectors.parsing.gmail import html_to_text, parse_gmail_message, strip_quotes_and_signature


def b64(data: str | bytes, charset: str = "utf-8") -> str:
    raw = data.encode(charset) if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")  # Gmail drops the padding


def part(mime: str, text: str | bytes, charset: str = "utf-8", **extra: object) -> dict:
    return {
        "mimeType": mime,
        "filename": "",
        "headers": [{"name": "Content-Type", "value": f'{mime}; charset="{charset}"'}],
        "body": {"size": 10, "data": b64(text, charset if charset != "x-bogus" else "utf-8")},
        **extra,
    }


def multi(mime: str, *parts: dict) -> dict:
    return {"mimeType": mime, "filename": "", "headers": [], "body": {"size": 0}, "parts": list(parts)}


def resource(payload: dict, **headers: str) -> dict:
    defaults = {"From": "Dana Kim <Dana.Kim@northwind.example>", "To": "Alex Rivera <alex.rivera@northwind.example>"}
    defaults.update(headers)
    payload = dict(payload)
    payload["headers"] = [{"name": k.replace("_", "-"), "value": v} for k, v in defaults.items()] + payload["headers"]
    return {
        "id": "abc123",
        "threadId": "thr1",
        "labelIds": ["INBOX"],
        "internalDate": "1795000000123",
        "payload": payload,
    }


def parse(payload: dict, max_chars: int = 2000, **headers: str) -> dict:
    return dict(parse_gmail_message(resource(payload, **headers), max_chars=max_chars))


def test_basic_fields() -> None:
    message = parse(
        part("text/plain", "Can you send the report?"), Subject="Report", Cc="Sam <SAM@x.example>, b@y.example"
    )
    assert message["id"] == "email:abc123"
    assert message["source"] == "email" and message["source_id"] == "abc123"
    assert message["thread"] == "thr1"
    assert message["sender"] == "Dana Kim" and message["sender_address"] == "dana.kim@northwind.example"
    assert message["recipients"] == ["alex.rivera@northwind.example"]
    assert message["cc"] == ["sam@x.example", "b@y.example"]
    assert message["subject"] == "Report"
    assert message["timestamp"] == "2026-11-18T11:06:40.123000+00:00"
    assert message["link"] == "https://mail.google.com/mail/u/0/#all/abc123"
    assert message["channel"] == "" and message["channel_type"] == "" and message["automated"] is False


def test_header_names_are_case_insensitive_and_reply_to_wins() -> None:
    payload = part("text/plain", "hi")
    res = resource(payload)
    res["payload"]["headers"] = [
        {"name": "FROM", "value": "Docs <comments-noreply@docs.example>"},
        {"name": "reply-to", "value": "Marco Bianchi <Marco@northwind.example>"},
        {"name": "to", "value": "a@x.example"},
        *payload["headers"],
    ]
    message = parse_gmail_message(res, max_chars=100)
    assert (message["sender"], message["sender_address"]) == ("Marco Bianchi", "marco@northwind.example")
    assert message["automated"] is False  # the person in Reply-To is not a noreply address
    assert message["recipients"] == ["a@x.example"]


def test_alternative_prefers_plain_over_html() -> None:
    payload = multi(
        "multipart/alternative", part("text/html", "<p>HTML version</p>"), part("text/plain", "Plain version")
    )
    assert parse(payload)["text"] == "Plain version"


def test_nested_mixed_alternative_related_falls_back_to_html() -> None:
    html = "<html><body><p>Could you <b>review</b> section&nbsp;3?</p><img src='cid:x'></body></html>"
    image = {"mimeType": "image/png", "filename": "x.png", "headers": [], "body": {"attachmentId": "att", "size": 9}}
    payload = multi(
        "multipart/mixed",
        multi(
            "multipart/alternative", part("text/plain", ""), multi("multipart/related", part("text/html", html), image)
        ),
        {"mimeType": "application/pdf", "filename": "a.pdf", "headers": [], "body": {"attachmentId": "p", "size": 9}},
    )
    assert parse(payload)["text"] == "Could you review section 3?"


def test_html_hidden_content_is_removed() -> None:
    html = (
        "<html><head><title>T</title><style>p{}</style></head><body>"
        "<div style='display: none'>secret one</div><span style=\"visibility:hidden\">secret two</span>"
        "<!-- secret three --><script>secret four</script><p hidden>secret five</p>"
        "<p>Visible\u200b text</p><ul><li>one</li><li>two</li></ul></body></html>"
    )
    text = parse(part("text/html", html))["text"]
    assert "secret" not in text and "T" not in text.split()
    assert text == "Visible text\n\n- one\n\n- two"


def test_hidden_element_with_unclosed_void_children_still_ends() -> None:
    assert "after" in html_to_text("<div style='display:none'>x<br><img src=a></div>after")
    assert "x" not in html_to_text("<div style='display:none'>x<br><img src=a></div>after")


@pytest.mark.parametrize(
    ("charset", "text"),
    [
        ("iso-8859-1", "Grüße aus dem Café"),
        ("windows-1252", "The “budget” is 5 000 € — ok"),
        ("shift_jis", "会議の資料を送ってください"),
    ],
)
def test_charsets(charset: str, text: str) -> None:
    assert parse(part("text/plain", text, charset))["text"] == text


def test_latin1_label_on_cp1252_bytes_and_bogus_charset_fall_back() -> None:
    assert parse(part("text/plain", "“quoted” €".encode("cp1252"), "iso-8859-1"))["text"] == "“quoted” €"
    assert parse(part("text/plain", "naïve café".encode(), "x-bogus"))["text"] == "naïve café"


def test_unpadded_base64url() -> None:
    text = "Can you ack? ~~~ ??? >>> ok!"
    payload = part("text/plain", text)
    assert "=" not in payload["body"]["data"] and len(payload["body"]["data"]) % 4
    assert "_" in payload["body"]["data"] and "-" in payload["body"]["data"]
    assert parse(payload)["text"] == text


@pytest.mark.parametrize(
    ("payload", "headers", "reason"),
    [
        ({**part("text/plain", "x"), "body": {"size": 3, "data": "!!!not*base64$$$"}}, {}, "undecodable body"),
        ({**part("text/plain", "x"), "body": {"size": 400000, "attachmentId": "big"}}, {}, "no text body"),
        (
            multi(
                "multipart/mixed",
                {
                    "mimeType": "application/pdf",
                    "filename": "r.pdf",
                    "headers": [],
                    "body": {"attachmentId": "a", "size": 5},
                },
            ),
            {},
            "no text body",
        ),
        ({**part("text/plain", "notes"), "filename": "notes.txt"}, {}, "no text body"),
        (part("text/plain", "x"), {"From": ""}, "missing From header"),
    ],
)
def test_skips(payload: dict, headers: dict[str, str], reason: str) -> None:
    with pytest.raises(SkipItem) as caught:
        parse(payload, **headers)
    assert caught.value.reason == reason


def test_broken_alternative_part_falls_back_to_the_other() -> None:
    broken = {**part("text/plain", "x"), "body": {"size": 3, "data": "@@@"}}
    assert parse(multi("multipart/alternative", broken, part("text/html", "<p>fine</p>")))["text"] == "fine"


def test_missing_internal_date_uses_date_header_then_skips() -> None:
    res = resource(part("text/plain", "x"), Date="Wed, 18 Nov 2026 09:10:00 +0100")
    del res["internalDate"]
    assert parse_gmail_message(res, max_chars=100)["timestamp"] == "2026-11-18T08:10:00+00:00"
    res = resource(part("text/plain", "x"))
    del res["internalDate"]
    with pytest.raises(SkipItem, match="missing date"):
        parse_gmail_message(res, max_chars=100)


def test_quoted_reply_and_signature_are_stripped() -> None:
    body = (
        "Done, you have access now.\n\n-- \nLena Vogel\nSRE\n\n"
        "On Tue, Nov 17, 2026 at 4:02 PM Alex <alex@x.example> wrote:\n> Could you give me access?\n"
    )
    assert parse(part("text/plain", body))["text"] == "Done, you have access now."


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Sure.\n\nOn Mon, 16 Nov 2026, Dana Kim <dana@x.example>\nwrote:\n> old", "Sure."),
        ("New text\n> quoted line\nmore new", "New text\nmore new"),
        ("Reply\n\n-----Original Message-----\nFrom: Dana\nCould you do it?", "Reply"),
        ("Reply\n\nFrom: Dana Kim\nSent: Monday\nSubject: x\nCould you do it?", "Reply"),
        ("Can you check?\n\nSent from my iPhone", "Can you check?"),
        ("Can you check?\n\nBest,\nDana", "Can you check?"),
        ("Can you check?\n\nThanks,\nDana Kim\nEngineering Manager", "Can you check?"),
        # Not a trailer: a closing word followed by real content stays.
        (
            "Thanks\nCan you also send the Q4 numbers and the updated forecast by Friday?",
            "Thanks\nCan you also send the Q4 numbers and the updated forecast by Friday?",
        ),
    ],
)
def test_strip_quotes_and_signature(body: str, expected: str) -> None:
    assert strip_quotes_and_signature(body).strip() == expected


@pytest.mark.parametrize(
    ("headers", "automated"),
    [
        ({"List_Unsubscribe": "<https://x.example/u>"}, True),
        ({"List_Id": "<eng.x.example>"}, True),
        ({"Precedence": "Bulk"}, True),
        ({"Precedence": "first-class"}, False),
        ({"Auto_Submitted": "auto-generated"}, True),
        ({"Auto_Submitted": "no"}, False),
        ({"From": "CI <noreply@ci.example>"}, True),
        ({"From": "GitHub <notifications@github.example>"}, True),
        ({"From": "<MAILER-DAEMON@x.example>"}, True),
        ({"From": "Cal <calendar-notification@cal.example>"}, True),
        ({"From": "x <do-not-reply@x.example>"}, True),
        ({"From": "Nora Eply <nora.eply@x.example>"}, False),
    ],
)
def test_automated(headers: dict[str, str], automated: bool) -> None:
    assert parse(part("text/plain", "x"), **headers)["automated"] is automated


def test_whitespace_normalized_and_text_capped_at_word_boundary() -> None:
    body = "word  \t" * 100 + "\n\n\n\n\nend"
    text = parse(part("text/plain", body), max_chars=50)["text"]
    assert len(text) <= 50 and text.endswith("…")
    assert text == "word " * 8 + "word…"  # cut at the space before the 50th character
    assert "\n\n\n" not in parse(part("text/plain", "a\n\n\n\nb"))["text"]


def test_cap_text_never_exceeds_limit_even_without_spaces() -> None:
    assert cap_text("x" * 100, 10) == "x" * 9 + "…"
    assert cap_text("short", 10) == "short"


def test_encoded_word_subject_and_sender_name() -> None:
    message = parse(
        part("text/plain", "x"), Subject="=?UTF-8?B?5Lya6K2w?=", From="=?utf-8?q?Ren=C3=A9?= <rene@x.example>"
    )
    assert message["subject"] == "会議"
    assert message["sender"] == "René"
