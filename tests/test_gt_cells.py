"""Reports format, escape and style cells a column or a row at a time (outputs.gt_cells)
exactly as great-tables' own cell-by-cell work does: same HTML, byte for byte, for any text."""

from __future__ import annotations

from typing import Any

import great_tables._gt_data as gt_data
import great_tables._scss as scss
import great_tables._tbl_data as tbl_data
import great_tables._utils_render_html as render_html
import great_tables.gt
import polars as pl
import polars.selectors as cs
import pytest
from great_tables import GT, html, loc, md, style
from great_tables._gt_data import Body
from hypothesis import given, settings
from hypothesis import strategies as st

from outputs import board, gt_cells  # noqa: F401  (importing board installs the paths)

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
        .fmt(lambda v: f"<b>{v}</b>", columns="formatted", rows=[0, 1])  # the later one wins
        .fmt(lambda v: None if v is None else f"{v}!", columns="count")
        .fmt_number(columns="value", decimals=1)
        .sub_missing(columns="title", missing_text="—")
        .tab_source_note(md("**note**"))
        .tab_header(html("<span>Title</span>"))
        .tab_style(style.fill(color="red"), loc.body(columns="title", rows=[0, len(texts) - 1]))
        .tab_style(style.text(weight="bold"), loc.body(columns=["title", "value"], rows=[0]))
    )


def rendered(gt: GT, column_path: bool, monkeypatch: pytest.MonkeyPatch) -> str:
    """``gt``'s HTML through outputs.gt_cells (``column_path``) or great-tables' own cell by
    cell functions."""
    with monkeypatch.context() as patch:
        if not column_path:
            patch.setattr(great_tables.gt, "_migrate_unformatted_to_output", gt_cells.ORIGINAL)
            patch.setattr(render_html, "_create_row_component_h", gt_cells.ORIGINAL_ROW)
            patch.setattr(Body, "render_formats", gt_cells.ORIGINAL_FORMATS)
            patch.setattr(scss, "compile_scss", gt_cells.ORIGINAL_CSS)
            patch.setattr(gt_data, "create_empty_frame", gt_cells.ORIGINAL_EMPTY)
            tbl_data.eval_select.register(pl.DataFrame, gt_cells.ORIGINAL_SELECT)
        try:
            return gt.as_raw_html()
        finally:
            tbl_data.eval_select.register(pl.DataFrame, gt_cells.columns_named)


def test_reports_render_through_the_column_and_row_paths() -> None:
    assert great_tables.gt._migrate_unformatted_to_output is gt_cells.migrate_unformatted  # type: ignore[attr-defined]
    assert render_html._create_row_component_h is gt_cells.row_with_its_styles
    assert Body.render_formats is gt_cells.formats_by_column
    assert scss.compile_scss is gt_cells.css_once_per_options
    assert gt_data.create_empty_frame is gt_cells.empty_body
    assert tbl_data.eval_select.dispatch(pl.DataFrame) is gt_cells.columns_named


@pytest.mark.parametrize(
    "named",
    [
        "value",
        ["title", "value"],
        ["value", "title", "value"],  # each once, in the order first named
        [],
        ["title", "no such column"],
        [0, "value"],
        -1,
        cs.numeric(),
        [cs.string(), "count"],
    ],
)
def test_columns_are_found_by_name_as_great_tables_finds_them(named: Any) -> None:
    frame = table(ATTACKS, [1.0] * len(ATTACKS))._tbl_data

    def found(select: Any) -> Any:
        try:
            return select(frame, named)
        except Exception as error:  # the same refusal, if great-tables refuses
            return type(error)

    assert found(gt_cells.columns_named) == found(gt_cells.ORIGINAL_SELECT)


def test_hostile_text_nulls_and_numbers_render_byte_for_byte_as_great_tables_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    numbers: list[float | None] = [1.25, None, float("nan"), -3.0, 1e300, 0.0, 7.5]
    gt = table(ATTACKS, numbers)
    ours = rendered(gt, True, monkeypatch)
    assert ours == rendered(gt, False, monkeypatch)
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</td>" in ours  # the title, escaped
    assert "<b><script>" in ours  # what a formatter returns is trusted, as great-tables says
    assert '<td style="background-color: red; font-weight: bold;"' in ours  # both, in order


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


SVG = '<svg><defs><pattern id="p"></pattern></defs><rect fill="url(#p)"/></svg>'


def variants() -> dict[str, GT]:
    """Tables whose rows take each branch of great-tables' row builder that a report's could."""
    base = table(ATTACKS, [1.0, None, 2.5, -1.0, 0.0, 3.0, 4.0])
    lists = pl.DataFrame({"service": ["A", "B"], "points": [[1.5, None], []], "n": [1, 2]})
    return {
        "striped": base.opt_row_striping(),
        "svg ids made the cell's own": base.fmt(lambda v: SVG, columns="formatted", rows=[2, 3]),
        "list cells": GT(lists, id="l", groupname_col="service"),
        "no groups": GT(lists.drop("service"), id="n"),
        "a stub": GT(lists, id="s", rowname_col="n", groupname_col="service"),
        "footnotes": base.tab_footnote("a note", loc.body(columns="title", rows=[1])),
        "groups as a column": base.tab_options(row_group_as_column=True),
        "summary rows": base.grand_summary_rows(fns={"Most": pl.col("value").max()}),
    }


@pytest.mark.parametrize("name", list(variants()))
def test_every_kind_of_row_renders_as_great_tables_renders_it(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    gt = variants()[name]
    assert rendered(gt, True, monkeypatch) == rendered(gt, False, monkeypatch)


def test_a_reports_rows_are_built_without_great_tables_row_builder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The fast path is the one a report takes (its rows are plain), not only a fallback."""
    calls: list[int] = []
    builder = gt_cells.ORIGINAL_ROW

    def counted(**arguments: Any) -> str:
        calls.append(1)
        return str(builder(**arguments))

    monkeypatch.setattr(gt_cells, "ORIGINAL_ROW", counted)
    html_text = table(ATTACKS, [1.0] * len(ATTACKS)).opt_row_striping().as_raw_html()
    assert html_text.count("<tr>") >= len(ATTACKS)
    assert calls == []
    variants()["a stub"].as_raw_html()
    assert calls  # and a row it cannot build goes to great-tables' builder


@pytest.mark.parametrize(
    "table_id",
    [
        "people-ppb-indicators",
        "a.b$c",
        r"back\\slash",
        r"\\g<0>",
        "boardpack-table-id-5f3a9c",
        "thead-board",
        "a;b",
        "x.gt_y",
        "new\np {",
        "café_ü",
    ],
)
def test_each_tables_stylesheet_is_great_tables_own(
    table_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Tables styled alike share a compiled sheet, each with its own id; tables styled
    otherwise get their own; any id, however odd, gives great-tables' sheet."""
    lists = pl.DataFrame({"service": ["A", "B"], "n": [1, 2]})
    alike = [GT(lists, id=table_id), GT(lists, id=f"{table_id}-2")]
    styled = [
        GT(lists, id=table_id).tab_options(table_font_size="20px"),
        GT(lists, id=table_id).opt_table_font(font="Verdana"),
        GT(lists, id=table_id).tab_options(table_additional_css=["p {color: red}"]),
    ]
    for gt in [*alike, *styled, *alike]:  # shared sheets used again after others
        assert rendered(gt, True, monkeypatch) == rendered(gt, False, monkeypatch)
    first, second = (rendered(gt, True, monkeypatch) for gt in alike)
    if table_id == "people-ppb-indicators":  # others great-tables itself writes otherwise
        assert f"#{table_id}-2 .gt_table" in second
        assert f"#{table_id} .gt_table" in first
