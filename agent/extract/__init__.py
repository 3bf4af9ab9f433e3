"""Rule-based task extraction, one idea per module.

- ``dates``: deadline phrases -> ISO dates, resolved against the message's local date
- ``rules``: who a message is for, noise, requests, closing replies
- ``titles``: a short imperative title from the request sentence
- ``priority``: effort estimate, urgency words, P0-P3 with a reason
- ``merge``: candidates, closing replies applied, duplicates across sources merged

``agent.extractor.RuleBasedExtractor`` puts them together; import it from there.
"""
