"""Reports escape unformatted cells a column at a time (outputs.gt_cells) exactly as
great-tables' own cell-by-cell escaping does: same HTML, byte for byte, for any text."""

from __future__ import annotations

import great_tables.gt
import polars as pl
import pytest
from great_tables import GT, html, md
from hypothesis import given, settings
from hypothesis import strategies as st

from outputs import board, gt_cells  # noqa: F401  (importing board installs the column path)

ATTACKS = [
    "<script>alert(1)</script>",
    'a "quoted" & <b>bold</b>',
    '=HYPERLINK("http://x")',
    "line\nbreak",
    "",
    None,
    "£ café — ünïcødé",
]


def table(texts: list[str | None], numbers: list[float | None]) -> GT:
    frame = pl.DataFrame(
        {
            "service": ["Parks", "Libraries"] * (len(texts) // 2) + ["Parks"] * (len(texts) % 2),
            "title": texts,
            "hidden": [t and t[::-1] for t in texts],
            "value": numbers,
            "count": list(range(len(texts))),
            "formatted": texts,
        },
        schema_overrides={"value": pl.Float64},
    )
    return (
        GT(frame, id="t", groupname_col="service")
        .cols_hide(["hidden"])
        .fmt(lambda v: f"<em>{v}</em>", columns="formatted", rows=[0])
        .fmt_number(columns="value", decimals=1)
        .sub_missing(columns="title", missing_text="—")
        .tab_source_note(md("**note**"))
        .tab_header(html("<span>Title</span>"))
    )


def rendered(gt: GT, column_path: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    chosen = gt_cells.migrate_unformatted if column_path else gt_cells.ORIGINAL
    with monkeypatch.context() as patch:
        patch.setattr(great_tables.gt, "_migrate_unformatted_to_output", chosen)
        return gt.as_raw_html()


def test_reports_render_through_the_column_path() -> None:
    assert great_tables.gt._migrate_unformatted_to_output is gt_cells.migrate_unformatted  # type: ignore[attr-defined]


def test_hostile_text_nulls_and_numbers_render_byte_for_byte_as_great_tables_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers: list[float | None] = [1.25, None, float("nan"), -3.0, 1e300, 0.0, 7.5]
    gt = table(ATTACKS, numbers)
    ours = rendered(gt, True, monkeypatch)
    assert ours == rendered(gt, False, monkeypatch)
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</td>" in ours  # the title, escaped
    assert "<em><script>" in ours  # what a formatter returns is trusted, as great-tables says


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.one_of(st.none(), st.text(max_size=12)), min_size=1, max_size=6),
    st.data(),
)
def test_any_text_renders_as_great_tables_renders_it(
    texts: list[str | None], data: st.DataObject
) -> None:
    numbers = data.draw(
        st.lists(
            st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True)),
            min_size=len(texts),
            max_size=len(texts),
        )
    )
    gt = table(texts, numbers)
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert rendered(gt, True, monkeypatch) == rendered(gt, False, monkeypatch)
