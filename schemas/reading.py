"""What a loaded file's reading depended on besides its bytes (issue 21).

A file whose content was loaded before is skipped; but a change to the configuration that
changes how it is read (an alias, an indicator, ``numbers``, ``columns``, ``rows``, the
sheet, the layout, ``ignore_columns``, ``periods``...) changes what it yields, so each
loaded file is recorded with a digest of that configuration, and one whose source's digest
has changed since is read again.
"""

from __future__ import annotations

import hashlib
import json

from core.columns import REGISTER_KINDS
from core.settings import Council, Source

# Settings of a source that do not change what its files yield: its name and department,
# what a return template lists, whether files must have arrived, when its return is due and
# who answers for it, how long and how often it is tried, and its URL (a SQL source's rows
# are hashed themselves, and a URL may hold a password that no digest should be made from).
_NOT_READING = {
    "id",
    "department",
    "indicators",
    "services",
    "url",
    "expect_files",
    "due",
    "contact",
    "timeout",
    "retries",
}
# What the checks of an indicator's figures depend on (not its title, polarity or target).
_INDICATOR_READING = ["code", "unit", "aggregation", "frequency", "decimals", "scale", "aliases"]


def reading_digest(council: Council, source: Source) -> str:
    """A digest of everything besides a file's bytes that decides what reading it yields."""
    settings = source.model_dump(mode="json", exclude=_NOT_READING)
    parts = [json.dumps(settings, sort_keys=True), str(council.settings.year_start_month)]
    if source.kind not in REGISTER_KINDS:  # registers name no indicator
        indicators = council.indicators.select(_INDICATOR_READING).sort("code")
        parts.append(indicators.write_csv())
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()
