"""Task titles: a short imperative from the request sentence ("Could you please review X by Fri?" -> "Review X")."""

from __future__ import annotations

import re

from agent.extract.dates import strip_due_phrases
from agent.extract.rules import Addressee, strip_lead

_ASK = re.compile(
    r"^(?:(?:i was wondering if|i wonder if) )?(?:(?:when )?(?:can|could|would|will) (?:you|someone|somebody|anyone|"
    r"any of you|one of you|everyone|everybody|all of you)(?: be able to)?|are you able to"
    r"|(?:everyone|everybody|all of you|all \w+s|you) (?:must|needs? to|ha(?:s|ve) to|(?:is|are) required to)"
    r"|is it possible (?:for you )?to|would it be possible (?:for you )?to"
    r"|any chance you (?:can|could)|(?:i|we) (?:really )?need (?:you|someone|somebody) to|need you to"
    r"|(?:i'?d|we'?d) (?:like|love) (?:you|for you) to"
    r"|(?:i|we) want you to|have you had a chance to|who can|anyone (?:able|free|around) to)\s+",
    re.I,
)
_POLITE = re.compile(r"^(?:please|pls|plz|kindly)\s+|\s+please(?=[\s?.!]*$)", re.I)
# Words that end a request without adding to it. Matched against the tail only: an end-anchored
# pattern would otherwise be tried at every position of the sentence.
_TRAILER = re.compile(
    r"(?:[\s,]+(?:for (?:me|us)|if (?:you can|possible)|when you (?:get|have) a (?:sec|second|minute|chance)|"
    r"thanks|thank you|thx|asap|please|(?:before|by) then|(?:as soon as|when(?:ever)?) (?:possible|you can))\b)*"
    r"[\s?.!,:;]*$",
    re.I,
)
_GERUNDS = {
    "reviewing": "review",
    "sending": "send",
    "taking": "take",
    "making": "make",
    "writing": "write",
    "sharing": "share",
    "preparing": "prepare",
    "updating": "update",
    "approving": "approve",
    "putting": "put",
    "getting": "get",
    "setting": "set",
    "signing": "sign",
    "checking": "check",
}
_MIND = re.compile(r"^(?:would you )?mind (\w+ing)\b", re.I)
_ALSO = re.compile(r"^(?:also|just|maybe)\s+", re.I)  # "could you also review ..." -> "review ..."
# "do you have 10 minutes to look at X" asks for X, not for the minutes.
_HAVE_TIME = re.compile(r"^do you have (?:a|an|\d+|some|any|few|a few|time)\b[^?]{0,20}?\bto\s+", re.I)
# "laptops must be updated to 15.2" -> "Make sure laptops are updated to 15.2"
_PASSIVE = re.compile(r"^(?:that )?(.+?) (?:must|needs? to|ha(?:s|ve) to) be (\w+ed\b[^,;]*).*$", re.I)
_THOUGHTS = re.compile(r"^any (thoughts|feedback|comments|input) on\s+", re.I)
_NEED_FROM_YOU = re.compile(r"^i (?:really )?need (.+?) from you\b(.*)$", re.I)
_DO_YOU_HAVE = re.compile(r"^do you have (.+)$", re.I)
_STATUS = re.compile(
    r"^(?:any (?:updates?|news|progress|eta) on|where are we on|what'?s the (?:status|eta) (?:of|on))\s+(.+)$", re.I
)
_NEED_YOUR = re.compile(
    r"^(?:i |we )?need your (input|feedback|thoughts|review|approval|sign-?off|help|eyes) on\s+(.+)$", re.I
)
_NEED_YOUR_VERB = {
    "input": "Give input on",
    "feedback": "Give feedback on",
    "thoughts": "Share thoughts on",
    "review": "Review",
    "approval": "Approve",
    "signoff": "Sign off on",
    "sign-off": "Sign off on",
    "help": "Help with",
    "eyes": "Look at",
}
_ME = re.compile(r"\bme\b")
_YOUR = re.compile(r"\byour\s+(?=\w)", re.I)  # "submit your self-review" -> "submit self-review"
_URL = re.compile(r"\(?https?://\S+\)?")
# Reasons and context after the ask: "... so I can prepare our calibration", "... because the scanner flags it".
_TAIL_CLAUSE = re.compile(
    r"[,\s](?:so (?:that )?(?:i|we|they|she|he)|because|since|as (?:i|we)|before (?:i|we))\b", re.I
)
_MY = re.compile(r"\bmy\b")
_VAGUE_OBJECTS = ("it", "this", "that", "these", "them")
_SUBJECT_PREFIX = re.compile(r"^(?:(?:re|fwd?|aw|wg)\s*:\s*|\[[^\]]*\]\s*|(?:action required|urgent)\s*:\s*)+", re.I)


def clean_subject(subject: str) -> str:
    return _SUBJECT_PREFIX.sub("", subject).strip()


def _strip_trailer(s: str) -> str:
    tail = s[-60:]
    m = _TRAILER.search(tail)
    return s[: len(s) - len(tail) + m.start()] if m else s


def _rephrase(s: str, requester_first: str) -> str:
    """Turn indirect asks into imperatives: "would you mind sending" -> "send", "I need X from you" -> "send Dana X"."""
    if m := _HAVE_TIME.match(s):
        return s[m.end() :]
    if m := _THOUGHTS.match(s):
        return ("Share thoughts on " if m.group(1).lower() == "thoughts" else "Give feedback on ") + s[m.end() :]
    if m := _PASSIVE.match(s):
        thing = m.group(1)
        return f"make sure {thing} {'are' if thing.lower().endswith('s') else 'is'} {m.group(2)}"
    if m := _MIND.match(s):
        verb = m.group(1).lower()
        return _GERUNDS.get(verb, verb[:-3]) + s[m.end() :]
    if m := _NEED_FROM_YOU.match(s):
        return f"send {requester_first} {m.group(1)}{m.group(2)}"
    if m := _DO_YOU_HAVE.match(s):
        return f"send {requester_first} {m.group(1)}"
    if m := _STATUS.match(s):
        return f"send {requester_first} an update on {m.group(1)}"
    if m := _NEED_YOUR.match(s):
        return f"{_NEED_YOUR_VERB[m.group(1).lower()]} {m.group(2)}"
    return s


def make_title(sentence: str, *, requester: str, subject: str, me: Addressee) -> str:
    """A short imperative from a request sentence: "Could you please review the doc by Fri?" -> "Review the doc"."""
    s = strip_lead(sentence)
    s = me.leading_name.sub("", s)
    s = strip_due_phrases(s)
    s = _ASK.sub("", s)
    s = _POLITE.sub("", s).strip()
    s = _ASK.sub("", s)  # "please could you" puts the ask after the politeness
    s = _ALSO.sub("", s)
    requester_first = requester.split()[0] if requester.split() else "the requester"
    s = _rephrase(s, requester_first)
    low = s.lower()
    # The title is read by the user, so "send me" means "send Dana". Substring guards skip the regexes
    # for most titles.
    if "me" in low:
        s = _ME.sub(requester_first, s)
    if "my" in low:
        s = _MY.sub(f"{requester_first}'s", s)
    if "your" in low:
        s = _YOUR.sub("", s)
    if "http" in low:
        s = _URL.sub("", s)
    if clause := _TAIL_CLAUSE.search(s):
        s = s[: clause.start()]
    s = _strip_trailer(_strip_trailer(s).strip())
    topic = clean_subject(subject)
    head, _, last = s.rpartition(" ")
    if topic and head and last.lower() in _VAGUE_OBJECTS:
        s = f"{head} {topic}"  # "Review it" + subject "Q4 roadmap" -> "Review Q4 roadmap"
    elif topic and len(s.split()) <= 2:
        s = f"{s}: {topic}"
    if not s:
        s = topic or "Follow up"
    s = s[0].upper() + s[1:]
    return shorten(s, 80)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:-")
    return cut + "\u2026"
