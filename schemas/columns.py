"""The canonical columns of each kind of return (SPEC §4), and those a file must have."""

from __future__ import annotations

CANONICAL: dict[str, tuple[str, ...]] = {
    "observations": (
        "indicator_code",
        "period",
        "value",
        "numerator",
        "denominator",
        "commentary",
    ),
    "targets": ("indicator_code", "financial_year", "period", "target"),
    "milestones": ("ref", "service", "description", "due_date", "status", "commentary", "period"),
    "risks": ("ref", "service", "description", "rating", "mitigation", "progress", "period"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "observations": ("indicator_code", "period"),
    "targets": ("indicator_code", "financial_year", "target"),
    "milestones": ("ref", "service", "description", "status", "period"),
    "risks": ("ref", "service", "description", "rating", "period"),
}
