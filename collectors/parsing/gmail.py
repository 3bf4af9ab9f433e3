"""Gmail ``users.messages.get`` (format=full) resource -> ``Message``.

The body is chosen from the MIME tree (text/plain preferred, HTML converted to text),
decoded from unpadded base64url in whatever charset the part declares, and cleaned:
hidden text, quoted replies and signatures removed, whitespace normalized, length capped.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import getaddresses, parsedate_to_datetime
from html.parser import HTMLParser
from typing import ClassVar

from collectors.base import Message
from collectors.parsing import SkipItem, cap_text, clean_text, iso_utc

GMAIL_LINK = "https://mail.google.com/mail/u/0/#all/{id}"

# Matched as a word inside the local part: "noreply", "calendar-notification", "jira+notifications".
_AUTOMATED_LOCAL = re.compile(
    r"(^|[-+._])(no[-_.]?reply|do[-_.]?not[-_.]?reply|notifications?|notify|mailer[-_.]?daemon|postmaster|bounces?)"
    r"([-+._]|$)"
)
_BULK_PRECEDENCE = {"bulk", "list", "junk"}


# --- headers and addresses -------------------------------------------------------------


def _headers(part: dict) -> dict[str, str]:
    """Header name (lower-case) -> first value; Gmail keeps the sender's spelling of names."""
    result: dict[str, str] = {}
    for header in part.get("headers") or []:
        name = str(header.get("name", "")).strip().lower()
        if name and name not in result:
            result[name] = str(header.get("value", ""))
    return result


def _decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words ("=?utf-8?q?...?="); Gmail passes some through raw."""
    if "=?" not in value:
        return value.strip()
    try:
        return str(make_header(decode_header(value))).strip()
    except (ValueError, LookupError, UnicodeDecodeError):
        return value.strip()


_SIMPLE_ADDRESS = re.compile(r"^\s*(?:([^<>]*?)\s*<([^<>\s]+)>|([^<>\s]+))\s*$")


def _parse_addresses(value: str) -> list[tuple[str, str]]:
    """(name, address) pairs. The common "Name <a@b>, c@d" form takes a fast path: the
    stdlib parser costs ~0.1 ms a header, which is most of a heavy day's parse time."""
    if '"' not in value and "(" not in value and "\\" not in value:
        pairs = []
        for piece in value.split(","):
            match = _SIMPLE_ADDRESS.match(piece)
            if match is None:
                break
            name, bracketed, bare = match.groups()
            pairs.append(((name or "").strip(), bracketed or bare))
        else:
            return pairs
    return getaddresses([value])


def _addresses(value: str) -> list[str]:
    found = [addr.strip().lower() for _, addr in _parse_addresses(value) if "@" in addr]
    return list(dict.fromkeys(found))  # unique, first-seen order


def _first_address(value: str) -> tuple[str, str]:
    pairs = _parse_addresses(value)
    return pairs[0] if pairs else ("", "")


def _sender(headers: dict[str, str]) -> tuple[str, str]:
    """(display name, bare address); Reply-To wins because that is who a reply reaches."""
    if not headers.get("from", "").strip():
        raise SkipItem("missing From header")
    from_name, from_addr = _first_address(headers["from"])
    name, address = from_name, from_addr
    reply_to = headers.get("reply-to", "")
    if reply_to.strip():
        rt_name, rt_addr = _first_address(reply_to)
        if "@" in rt_addr:
            # Keep From's name when Reply-To is the same person without a display name.
            same = rt_addr.lower() == from_addr.lower()
            name, address = rt_name or (from_name if same else ""), rt_addr
    address = address.strip().lower()
    if "@" not in address:
        raise SkipItem("missing From header")
    return _decode_words(name) or address, address


def _is_automated(headers: dict[str, str], sender_address: str) -> bool:
    if "list-unsubscribe" in headers or "list-id" in headers:
        return True
    if headers.get("precedence", "").strip().lower() in _BULK_PRECEDENCE:
        return True
    auto = headers.get("auto-submitted")
    if auto is not None and auto.strip().lower() != "no":
        return True
    return bool(_AUTOMATED_LOCAL.search(sender_address.split("@", 1)[0]))


def _timestamp(resource: dict, headers: dict[str, str]) -> str:
    raw = str(resource.get("internalDate") or "").strip()
    if raw.isdigit():
        ms = int(raw)
        return iso_utc(ms // 1000, (ms % 1000) * 1000)
    # internalDate is what Gmail sorts by; the Date header is only a fallback the sender controls.
    try:
        moment = parsedate_to_datetime(headers["date"])
    except (KeyError, TypeError, ValueError, IndexError):
        raise SkipItem("missing date") from None
    if moment.tzinfo is None:
        raise SkipItem("missing date")
    return iso_utc(int(moment.timestamp()), moment.microsecond)


# --- body: MIME tree -> text -------------------------------------------------------------


@dataclass
class _Body:
    text: str  # raw HTML when ``is_html``: converting only the part we keep saves most of the cost
    is_html: bool

    def plain(self) -> str:
        return html_to_text(self.text) if self.is_html else self.text


class _Walk:
    """Walks the MIME tree once; remembers whether a text part failed to decode."""

    def __init__(self) -> None:
        self.undecodable = False

    def body(self, part: dict) -> _Body | None:
        mime = str(part.get("mimeType", "")).lower()
        if mime.startswith("multipart/"):
            found = [b for b in (self.body(child) for child in part.get("parts") or []) if b is not None]
            if not found:
                return None
            if mime == "multipart/alternative":
                # Same content twice: take plain text if it says anything, else the HTML (converted
                # later, once). Some mail-merge tools send a blank text/plain beside the real HTML.
                plain = next((b for b in found if not b.is_html and b.text.strip()), None)
                return plain or next((b for b in found if b.is_html), found[0])
            if len(found) == 1:
                return found[0]
            # mixed/related/...: several inline parts are all body (e.g. text + forwarded text).
            return _Body("\n\n".join(b.plain() for b in found), False)
        if mime not in ("text/plain", "text/html") or _is_attachment(part):
            return None
        data = (part.get("body") or {}).get("data")
        if not data:
            return None  # empty, or only an attachmentId: no inline text here
        try:
            raw = _b64url(data)
        except (binascii.Error, ValueError):
            self.undecodable = True
            return None
        return _Body(_decode_charset(raw, _charset(part)), mime == "text/html")


def _is_attachment(part: dict) -> bool:
    if part.get("filename"):
        return True
    disposition = _headers(part).get("content-disposition", "")
    return disposition.strip().lower().startswith("attachment")


def _b64url(data: str) -> bytes:
    cleaned = re.sub(r"\s+", "", data).replace("-", "+").replace("_", "/")
    # Gmail drops the padding; the decoder insists on it.
    return base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)


_CHARSET = re.compile(r"""charset\s*=\s*["']?([^"';\s]+)""", re.IGNORECASE)


def _charset(part: dict) -> str:
    match = _CHARSET.search(_headers(part).get("content-type", ""))
    return match.group(1).lower() if match else "utf-8"


def _decode_charset(raw: bytes, charset: str) -> str:
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        name = "utf-8"  # bogus label: UTF-8 is by far the likeliest truth, cp1252 below the fallback
    if name in ("latin-1", "iso8859-1", "ascii"):
        # Mail labelled latin-1/ascii is routinely cp1252 (curly quotes, €), as browsers assume.
        name = "cp1252"
    for candidate in (name, "utf-8", "cp1252"):
        try:
            return raw.decode(candidate)
        except UnicodeDecodeError:
            continue
    return raw.decode(name, errors="replace")


class _HtmlText(HTMLParser):
    """HTML -> readable text, dropping what a reader never sees."""

    _SKIP: ClassVar[frozenset[str]] = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _VOID: ClassVar[frozenset[str]] = frozenset(
        {"br", "img", "hr", "meta", "link", "input", "wbr", "col", "area", "base", "source"}
    )
    _BLOCK: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article"}
    )
    _HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, hides its content)
        self.hidden = 0

    def _hides(self, tag: str, attrs: dict[str, str | None]) -> bool:
        if tag in self._SKIP or "hidden" in attrs or attrs.get("aria-hidden") == "true":
            return True
        if self._HIDDEN_STYLE.search(attrs.get("style") or ""):
            return True
        # Quoted history in replies (<blockquote>, Gmail's gmail_quote div) is not the new message.
        return tag == "blockquote" or "gmail_quote" in (attrs.get("class") or "")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self.out.append("\n- ")
        elif tag in self._BLOCK:
            self.out.append("\n")
        elif tag in ("td", "th"):
            self.out.append(" ")
        if tag in self._VOID:
            return
        hides = self._hides(tag, {k.lower(): v for k, v in attrs})
        self.stack.append((tag, hides))
        self.hidden += hides

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.out.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._BLOCK or tag == "li":
            self.out.append("\n")
        # Pop to the matching open tag; sloppy HTML leaves unclosed <p>/<li> behind.
        if not any(open_tag == tag for open_tag, _ in self.stack):
            return
        while self.stack:
            open_tag, hides = self.stack.pop()
            self.hidden -= hides
            if open_tag == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.out.append(data.replace("\n", " "))


def html_to_text(html: str) -> str:
    """Readable text of an HTML body: no comments, scripts, styles or hidden elements."""
    parser = _HtmlText()
    parser.feed(html)
    parser.close()
    return "".join(parser.out)


# --- cleaning: quotes and signatures --------------------------------------------------------

_ON_WROTE = re.compile(r"^On\b.{0,200}\bwrote:\s*$", re.IGNORECASE)
_ORIGINAL = re.compile(r"^-{2,}\s*Original Message\s*-{2,}$|^_{20,}$", re.IGNORECASE)
_SENT_FROM = re.compile(r"^(Sent from my \w+|Get Outlook for \w+|Sent from (Mail|Outlook) for \w+)", re.IGNORECASE)
_CLOSING = re.compile(
    r"^(best|best regards|kind regards|regards|warm regards|cheers|thanks|thank you|many thanks|br|all the best)"
    r"[,.!]?$",
    re.IGNORECASE,
)


def strip_quotes_and_signature(text: str) -> str:
    """The new part of a reply: no quoted history, no signature block."""
    lines = text.replace("\r\n", "\n").split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        bare = line.strip()
        two = bare + " " + lines[index + 1].strip() if index + 1 < len(lines) else bare
        # A reply header may wrap: "On Mon, ... Dana Kim <dana@x>\nwrote:".
        if _ON_WROTE.match(bare) or (bare.startswith("On ") and _ON_WROTE.match(two)):
            break
        if _ORIGINAL.match(bare) or line.rstrip("\n") in ("-- ", "--") or _SENT_FROM.match(bare):
            break
        if _outlook_header(lines, index):
            break
        if bare.startswith(">"):
            continue
        kept.append(line)
    return "\n".join(_drop_closing(kept))


def _outlook_header(lines: list[str], index: int) -> bool:
    """Outlook quotes without markers: "From: ..." followed shortly by "Sent: ..."."""
    if not lines[index].strip().startswith("From:"):
        return False
    return any(line.strip().startswith(("Sent:", "Date:")) for line in lines[index + 1 : index + 4])


def _drop_closing(lines: list[str]) -> list[str]:
    """Remove a "Best,\\nName" trailer, only when nothing but a short name/title follows it."""
    content = [i for i, line in enumerate(lines) if line.strip()]
    for position in content[-4:]:
        if not _CLOSING.match(lines[position].strip()):
            continue
        tail = [lines[i].strip() for i in content if i > position]
        if len(tail) <= 2 and all(len(line) <= 40 and not line.endswith("?") for line in tail):
            return lines[:position]
    return lines


# --- the parser ---------------------------------------------------------------------------


def parse_gmail_message(resource: dict, *, max_chars: int) -> Message:
    """Turn one Gmail resource into a ``Message``; raise ``SkipItem`` if it cannot be one."""
    gmail_id = str(resource.get("id") or "").strip()
    if not gmail_id:
        raise SkipItem("missing id")
    payload = resource.get("payload") or {}
    headers = _headers(payload)
    sender, sender_address = _sender(headers)
    timestamp = _timestamp(resource, headers)

    walk = _Walk()
    body = walk.body(payload)
    if body is None:
        raise SkipItem("undecodable body" if walk.undecodable else "no text body")
    text = cap_text(clean_text(strip_quotes_and_signature(clean_text(body.plain()))), max_chars)
    if not text:
        raise SkipItem("empty message")  # e.g. a reply that only quotes: nothing to plan from

    return Message(
        id=f"email:{gmail_id}",
        source="email",
        source_id=gmail_id,
        sender=sender,
        sender_address=sender_address,
        recipients=_addresses(headers.get("to", "")),
        cc=_addresses(headers.get("cc", "")),
        subject=clean_text(_decode_words(headers.get("subject", ""))),
        text=text,
        timestamp=timestamp,
        thread=str(resource.get("threadId") or gmail_id),
        channel="",
        channel_type="",
        automated=_is_automated(headers, sender_address),
        link=GMAIL_LINK.format(id=gmail_id),
    )
