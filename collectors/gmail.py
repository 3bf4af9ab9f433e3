"""Gmail collector: one query for the window, bodies fetched in batches, parsed to ``Message``.

googleapiclient is not imported here: the collector talks to anything with the
``GmailClient`` methods (the real client, or ``mocks.clients.MockGmailClient``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import datetime

from collectors.base import GmailClient, Message, SourceResult, Window
from collectors.parsing import SkipItem
from collectors.parsing.gmail import parse_gmail_message

DEFAULT_QUERY_FILTER = "-category:promotions -category:social -in:sent -in:drafts -in:spam -in:trash"
BATCH_SIZE = 100  # users.messages.get calls per batch request, Gmail's documented maximum


class GmailCollector:
    source = "email"

    def __init__(
        self,
        client: GmailClient,
        *,
        max_chars: int,
        query_filter: str = DEFAULT_QUERY_FILTER,
        max_messages: int | None = None,
    ) -> None:
        self.client = client
        self.max_chars = max_chars
        self.query_filter = query_filter
        self.max_messages = max_messages

    def query(self, window: Window) -> str:
        # Gmail's after:/before: take whole seconds; one extra second keeps ``until`` itself
        # inside, and the exact (since, until] cut happens on internalDate below.
        since = int(window.since.timestamp())
        until = int(window.until.timestamp()) + 1
        return f"after:{since} before:{until} {self.query_filter}".strip()

    def sent_query(self, window: Window) -> str:
        since, until = int(window.since.timestamp()), int(window.until.timestamp()) + 1
        return f"after:{since} before:{until} in:sent"

    def _resources(self, ids: list[str]) -> Iterator[dict]:
        for start in range(0, len(ids), BATCH_SIZE):
            yield from self.client.get_messages(ids[start : start + BATCH_SIZE])

    def collect(self, window: Window) -> SourceResult:
        """Messages with since < internalDate <= until, sorted by time then id, deduplicated."""
        ids = list(dict.fromkeys(self.client.list_message_ids(self.query(window))))
        # Your own replies are in Sent, which the filter leaves out: they close the tasks you
        # answered, so they are read too (and never become tasks themselves).
        listed = set(ids)
        sent = [i for i in dict.fromkeys(self.client.list_message_ids(self.sent_query(window))) if i not in listed]
        fetched = 0
        skipped: Counter[str] = Counter()
        if self.max_messages is not None and len(ids) > self.max_messages:
            # messages.list returns newest first: the cap keeps the newest and says how many it left.
            skipped[f"over the per-run cap of {self.max_messages} (sources.gmail.max_messages)"] = (
                len(ids) - self.max_messages
            )
            ids = ids[: self.max_messages]
        ids += sent
        by_id: dict[str, Message] = {}
        for resource in self._resources(ids):
            fetched += 1
            try:
                message = parse_gmail_message(resource, max_chars=self.max_chars)
            except SkipItem as skip:
                skipped[skip.reason] += 1
                continue
            if not window.since < datetime.fromisoformat(message["timestamp"]) <= window.until:
                skipped["outside window"] += 1
            elif message["id"] in by_id:
                skipped["duplicate"] += 1
            else:
                by_id[message["id"]] = message
        messages = sorted(by_id.values(), key=lambda m: (datetime.fromisoformat(m["timestamp"]), m["id"]))
        return SourceResult(source="email", messages=messages, fetched=fetched, skipped=dict(sorted(skipped.items())))
