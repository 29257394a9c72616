"""What a status means and how much of its period a figure covers, as members read it
(SPEC §3, §5; issue 23).

Kept apart from the page layout (outputs.board) so that the words are the same on the
page, its CSV, the Word and PDF copies, the charts, the index and the run's summary:

- ``incomplete`` reads "… Incomplete: 5 of 6 months" and is never coloured as a status;
- a figure of part of its period (a mean, last value or ratio with months missing) says
  "based on 5 of 6 months";
- the notes define each status in the council's ``status_definitions``, else in
  boardpack's own words for the ``rating`` in force; the summary sentence uses the
  council's definitions when it has given them.
"""

from __future__ import annotations

from typing import Any

# boardpack's own definitions, by rating: what each status means when the council has
# not said (SPEC §5: they say how the rating works).
TOLERANCE_DEFINITIONS = {
    "green": "the year-to-date figure meets or beats the year-to-date target",
    "amber": "the figure misses the target, but by no more than the tolerance",
    "red": "the figure misses the target by more than the tolerance",
}
FORECAST_DEFINITIONS = {
    "green": "on track to be achieved: the year-to-date figure meets or beats the "
    "year-to-date target",
    "amber": "not meeting the year-to-date target, but the service's year-end forecast "
    "meets the year's target, so improvement is likely",
    "red": "not meeting the year-to-date target, and no year-end forecast meets the year's "
    "target (at the year end: the year's target was missed)",
}
UNRATED_DEFINITIONS = {
    "no_target": "no target is set (or the measure is reported for information only)",
    "no_data": "a target is set but no figures have been received for the year so far",
    "incomplete": "a total with figures for only part of the period so far (a month or "
    "quarter missing): it is not comparable with the period's target or last year's, so "
    "it is not rated until the rest arrives",
}
RATED = ("green", "amber", "red")
# Counted beside the rated statuses, outside the percentages (SPEC §3).
UNRATED = ("no_target", "no_data", "incomplete")


def status_definitions(rating: str, council: dict[str, str]) -> dict[str, str]:
    """Each status's meaning: the council's sentence where given, else boardpack's for the
    ``rating`` in force."""
    own = FORECAST_DEFINITIONS if rating == "forecast" else TOLERANCE_DEFINITIONS
    return {key: council.get(key, own[key]) for key in RATED} | UNRATED_DEFINITIONS


def slots_word(frequency: str | None, count: int) -> str:
    """``months`` for monthly figures, ``quarters`` for quarterly ones (one: singular)."""
    word = "quarter" if frequency == "quarterly" else "year" if frequency == "annual" else "month"
    return word if count == 1 else f"{word}s"


def coverage(present: int | None, expected: int | None, frequency: str | None) -> str | None:
    """``5 of 6 months`` when a figure covers part of its period; None when it covers all
    of it or none (no figure)."""
    if present is None or expected is None or not 0 < present < expected:
        return None
    return f"{present} of {expected} {slots_word(frequency, expected)}"


def status_text(label: str, rag: str | None, part: str | None) -> str:
    """The status as a cell reads: ``… Incomplete: 5 of 6 months`` for an incomplete
    total, otherwise its label (``✔ On target``)."""
    if rag == "incomplete" and part:
        return f"{label}: {part}"
    return label


def figure_text(figure: str, rag: str | None, part: str | None) -> str:
    """A year-to-date figure, saying when it covers only part of its period (a rated or
    data-only figure; an incomplete one's status says so already)."""
    if part and rag != "incomplete" and figure != "–":
        return f"{figure} (based on {part})"
    return figure


def summary_in_definitions(
    summary: dict[str, Any], definitions: dict[str, str], labels: dict[str, str], keys: list[str]
) -> str:
    """Colchester's sentence: "10 (72%) of our measures are on track to be achieved
    ('Green'), 2 (14%) are … ('Amber'), and 2 (14%) are … ('Red')"."""
    parts = [
        f"{summary[k] or 0} ({summary[f'{k}_pct']}%) "
        f"{'of our measures are' if i == 0 else 'are'} {definitions[k]} ('{labels[k]}')"
        for i, k in enumerate(keys)
    ]
    if len(parts) > 1:
        parts[-1] = f"and {parts[-1]}"
    return (", " if len(parts) > 2 else " ").join(parts)


def unrated_clause(summary: dict[str, Any]) -> str:
    """ "; 2 reported for information only, 1 with no data yet and 1 incomplete (part of
    the period's figures)", or nothing."""
    words = {
        "no_target": "reported for information only",
        "no_data": "with no data yet",
        "incomplete": "incomplete (figures for part of the period only)",
    }
    extra = [f"{summary.get(k) or 0} {words[k]}" for k in UNRATED if summary.get(k)]
    if not extra:
        return ""
    listed = extra[0] if len(extra) == 1 else f"{', '.join(extra[:-1])} and {extra[-1]}"
    return f"; {listed}"


def counts_in_words(counts: dict[str, int], names: dict[str, str]) -> str:
    """``7 on target, 2 near target, …, 1 incomplete``: a summary's counts (those of
    older manifests, without ``incomplete``, read as 0)."""
    return ", ".join(f"{counts.get(key, 0)} {names[key].lower()}" for key in (*RATED, *UNRATED))
