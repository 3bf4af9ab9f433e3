"""Candidates (one request found in one message), closing replies, and merging duplicates across sources."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime

from collectors.base import Message

# Words that carry no meaning about *what* is asked; dropping them makes Jaccard compare the substance.
_STOP_WORDS = (
    "a an the to of for on in at by and or with from me my our your you it this that these those is are be "
    "please could can would will just also quick up out over some any"
)
_STOP = frozenset(_STOP_WORDS.split())
_TOKEN = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True)
class Candidate:
    """A request found in one message, before closing replies and duplicates are applied."""

    message: Message
    sent: datetime  # aware, UTC
    title: str
    due: date | None
    urgency: str | None
    addressing: str
    nudge: bool = False  # "any update on this?": merges with an earlier ask in its thread whatever the words
    # Derived once here because merging looks them up many times on a busy day.
    requester_key: str = field(init=False)
    thread_keys: tuple[str, ...] = field(init=False)
    tokens: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "requester_key", requester_key(self.message))
        object.__setattr__(self, "thread_keys", thread_keys(self.message))
        object.__setattr__(self, "tokens", title_tokens(self.title, self.message["sender"]))


def requester_key(message: Message) -> str:
    # Email addresses and Slack ids differ for one person; the display name is what both sources share.
    return " ".join(message["sender"].lower().split())


def thread_keys(message: Message) -> tuple[str, ...]:
    """Where a later reply counts as "the same conversation": the thread, and for Slack DMs the whole DM."""
    keys = [f"{message['source']}:thread:{message['thread']}"]
    if message["source"] == "slack" and message["channel_type"] in ("im", "mpim"):
        keys.append(f"slack:channel:{message['channel']}")
    return tuple(keys)


def title_tokens(title: str, requester: str) -> frozenset[str]:
    """Normalized title words for similarity: no stop words, no requester names, crude plural folding."""
    names = requester.lower().split()
    words = _TOKEN.findall(title.lower().replace("'s", ""))
    # "slides"/"slide" and "docs"/"doc" should match; "ss" words ("access") keep their ending.
    return frozenset(
        w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w
        for w in words
        if w not in _STOP and w not in names
    )


@dataclass(frozen=True)
class Closure:
    requester: str | None  # whose requests it closes; None: everyone's (someone reported the work done)
    keys: tuple[str, ...]
    sent: datetime


def drop_closed(candidates: list[Candidate], closures: list[Closure]) -> list[Candidate]:
    """Remove requests closed by a later reply in the same conversation."""
    latest: dict[tuple[str | None, str], datetime] = {}
    for c in closures:
        for key in c.keys:
            prev = latest.get((c.requester, key))
            if prev is None or c.sent > prev:
                latest[(c.requester, key)] = c.sent
    kept = []
    for cand in candidates:
        closed = any(
            (when := latest.get((who, key))) is not None and when > cand.sent
            for key in cand.thread_keys
            for who in (cand.requester_key, None)
        )
        if not closed:
            kept.append(cand)
    return kept


def _due_compatible(a: Candidate, b: Candidate) -> bool:
    return a.due is None or b.due is None or a.due == b.due


def similar_titles(a: frozenset[str], b: frozenset[str]) -> bool:
    # Jaccard |a & b| / |a | b| >= 0.5 without division: 3 * |a & b| >= |a| + |b|.
    inter = len(a & b)
    return inter > 0 and 3 * inter >= len(a) + len(b)


def _candidate_pairs(candidates: list[Candidate], tokens: dict[str, frozenset[str]]) -> list[tuple[str, str]]:
    """Pairs worth comparing: same requester, and either the same thread or different sources.

    Across sources, prefix filtering keeps a busy day from comparing every email with every Slack message:
    with tokens ordered rarest first, two sets with Jaccard >= 0.5 must share a token among the first
    ``n - ceil(n / 2) + 1`` tokens of each (a standard bound for set-similarity joins).
    """
    frequency: dict[str, int] = defaultdict(int)
    for toks in tokens.values():
        for tok in toks:
            frequency[tok] += 1
    pairs: set[tuple[str, str]] = set()
    by_thread: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    index: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # (requester, source, token) -> ids
    for c in candidates:
        cid = c.message["id"]
        by_thread[(c.requester_key, c.message["source"], c.message["thread"])].append(cid)
        ordered = sorted(tokens[cid], key=lambda t: (frequency[t], t))
        for tok in ordered[: len(ordered) - (len(ordered) + 1) // 2 + 1]:
            index[(c.requester_key, c.message["source"], tok)].append(cid)
    for ids in by_thread.values():
        pairs.update((a, b) for i, a in enumerate(ids) for b in ids[i + 1 :])
    for (requester, source, tok), ids in index.items():
        if source != "email":
            continue
        for other in index.get((requester, "slack", tok), ()):
            pairs.update((a, other) for a in ids)
    return sorted(pairs)


def group_duplicates(candidates: list[Candidate]) -> list[list[Candidate]]:
    """Connected components of "same request" pairs; each group becomes one task.

    Two candidates are the same request when the same person asked, in different sources (mail and
    Slack) or as a reminder in the same thread, with similar title words and no conflicting due dates.
    Components do not depend on the order pairs are seen, and every list is sorted, so the result is
    the same on every run.
    """
    by_id = {c.message["id"]: c for c in candidates}
    parent = {cid: cid for cid in by_id}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    tokens = {cid: c.tokens for cid, c in by_id.items()}
    for a, b in _candidate_pairs(candidates, tokens):
        ca, cb = by_id[a], by_id[b]
        nudged = (ca.nudge or cb.nudge) and ca.message["thread"] == cb.message["thread"]
        if _due_compatible(ca, cb) and (nudged or similar_titles(tokens[a], tokens[b])):
            ra, rb = find(a), find(b)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    groups: dict[str, list[Candidate]] = defaultdict(list)
    for cid, c in by_id.items():
        groups[find(cid)].append(c)
    return [sorted(g, key=source_order) for _, g in sorted(groups.items())]


def source_order(c: Candidate) -> tuple[int, str]:
    """Email first, then by source id: the order of a task's sources."""
    return (0 if c.message["source"] == "email" else 1, c.message["source_id"])
