"""Published files survive a full disk, open in a spreadsheet as data, and a foreign
``manifest.json`` is refused (SPEC §5, §6; issue 13)."""

from __future__ import annotations

import csv
import errno
import io
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest

import core.files
from boardpack import cli
from core.spreadsheet import safe_csv
from tests.conftest import DEMO, DEMO_AS_OF
from warehouse import store
from warehouse.exports import export_csv
from warehouse.schema import connect

AS_OF = DEMO_AS_OF.isoformat()
PAGE = Path("2026-27/Q1/cyp-ppb.html")


def boardpack(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str]:
    """``boardpack ARGS`` in this process, as a user runs it: (exit status, stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["boardpack", *args])
    with pytest.raises(SystemExit) as done:
        cli.main()
    code = done.value.code
    return code if isinstance(code, int) else 0, capsys.readouterr().err


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo published once (warehouse and out); tests work on copies."""
    from boardpack import runs

    folder = tmp_path_factory.mktemp("published")
    runs.nightly(DEMO, f"sqlite:///{folder / 'w.sqlite'}", folder / "out", DEMO_AS_OF)
    # The report the tests publish again, published once as they publish it (a single
    # publish also makes its Word and PDF documents, which the nightly makes only for the
    # latest period): publishing it again then writes the same files, byte for byte.
    runs.publish_one(
        DEMO,
        "cyp-ppb",
        "2026/27 Q1",
        f"sqlite:///{folder / 'w.sqlite'}",
        folder / "out",
        DEMO_AS_OF,
    )
    return folder


@pytest.fixture
def site(published: Path, tmp_path: Path) -> Path:
    shutil.copytree(published, tmp_path, dirs_exist_ok=True)
    return tmp_path


def files_in(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}


@pytest.fixture
def disk_full_at(monkeypatch: pytest.MonkeyPatch) -> Callable[[str], None]:
    """Make the disk fill up half-way through writing the file whose name ends in the
    given text (the low-level write: what a full disk does to any writer)."""
    real_write = os.write

    def arm(target: str) -> None:
        def write(fd: int, data: bytes | memoryview) -> int:
            temp = Path(os.readlink(f"/proc/self/fd/{fd}"))  # .NAME.PID.boardpack-tmp
            name = temp.name.removesuffix(core.files.TEMP_SUFFIX).rsplit(".", 1)[0][1:]
            if (temp.parent / name).as_posix().endswith(target):
                real_write(fd, bytes(data[: len(data) // 2]))
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            return real_write(fd, data)

        monkeypatch.setattr(os, "write", write)

    return arm


@pytest.mark.parametrize(
    "target", [PAGE.as_posix(), "2026-27/Q1/cyp-ppb-risks.csv", "manifest.json", "index.html"]
)
def test_a_full_disk_while_publishing_keeps_the_old_file_whole_and_exits_3(
    site: Path,
    target: str,
    disk_full_at: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = site / "out"
    before = files_in(out)
    disk_full_at(target)
    common = ["--config", str(DEMO), "--warehouse", f"sqlite:///{site / 'w.sqlite'}"]
    code, err = boardpack(
        capsys, monkeypatch, "publish", *common, "--out", str(out), "--as-of", AS_OF,
        "--board", "cyp-ppb", "--period", "2026/27 Q1",
    )  # fmt: skip
    assert code == 3
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert str(out / target) in err
    assert "No space left on device" in err
    after = files_in(out)
    assert after[target] == before[target]  # the old version, byte for byte
    # Nothing else is a part either: every file is as it was (the same warehouse renders
    # the same bytes), and no temporary file is left; only the note of the pages still
    # to publish is new, for the next run to finish them.
    assert {k: v for k, v in after.items() if not k.startswith(".boardpack-publishing")} == before


def test_a_full_disk_while_writing_the_data_quality_page_keeps_it_whole(
    site: Path,
    disk_full_at: Callable[[str], None],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = site / "out"
    before = (out / "data-quality.html").read_bytes()
    disk_full_at("data-quality.html")
    code, err = boardpack(
        capsys, monkeypatch, "run", "--config", str(DEMO),
        "--warehouse", f"sqlite:///{site / 'w.sqlite'}", "--out", str(out), "--as-of", AS_OF,
    )  # fmt: skip
    assert code == 3
    assert err.count("\n") == 1
    assert f"{out / 'data-quality.html'}: No space left on device" in err
    assert (out / "data-quality.html").read_bytes() == before
    assert not list(out.rglob(f"*{core.files.TEMP_SUFFIX}"))


def fill_up(path: Path) -> None:
    """Write until the file system is full (it raises ENOSPC)."""
    with path.open("wb", buffering=0) as filler:
        while True:
            filler.write(b"x" * 4096)


@pytest.fixture
def full_disk(tmp_path: Path, disk_full_at: Callable[[str], None]) -> Iterator[Path]:
    """A folder on a really full file system (a 256 KiB tmpfs, filled up), holding a copy
    of a manifest. Where mounting is not allowed the disk fills up on every write instead."""
    folder = tmp_path / "tiny"
    folder.mkdir()
    mounted = os.geteuid() == 0 and not os.system(
        f"mount -t tmpfs -o size=256k tmpfs {folder} 2>/dev/null"
    )
    (folder / "manifest.json").write_text('{"council": "Demo", "reports": []}\n')
    if mounted:
        with pytest.raises(OSError, match="No space left on device"):
            fill_up(folder / "filler")
    else:
        disk_full_at("")
    yield folder
    if mounted:
        os.system(f"umount {folder}")


def test_a_full_disk_exits_3_and_leaves_no_part_file(
    full_disk: Path, published: Path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    before = (full_disk / "manifest.json").read_bytes()
    code, err = boardpack(
        capsys, monkeypatch, "publish", "--config", str(DEMO),
        "--warehouse", f"sqlite:///{published / 'w.sqlite'}", "--out", str(full_disk),
        "--as-of", AS_OF, "--board", "cyp-ppb", "--period", "2026/27 Q1",
    )  # fmt: skip
    assert code == 3
    assert err.count("\n") == 1
    assert "No space left on device" in err
    assert str(full_disk) in err
    assert (full_disk / "manifest.json").read_bytes() == before
    assert not list(full_disk.rglob(f"*{core.files.TEMP_SUFFIX}"))
    assert not list(full_disk.rglob("*.html"))


FORMULAS = [
    '=HYPERLINK("http://example.com","click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)",
    "-2+3",
    "\tleading tab",
    "\rleading return",
]


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_formula_like_text_gets_a_quote_and_numbers_stay_numbers() -> None:
    frame = pl.DataFrame(
        {
            "text": [*FORMULAS, "plain", "3 - 2", None],
            "value": [-3.5, 2.0, -1.0, -0.0, 1e-9, 7.0, 0.0, -2.0, None],
            "count": [-3, 2, 1, 0, 5, 6, 7, -8, None],
        }
    )
    rows = read_csv(safe_csv(frame))
    assert [r["text"] for r in rows] == [*(f"'{f}" for f in FORMULAS), "plain", "3 - 2", ""]
    assert rows[0]["value"] == "-3.5"
    assert rows[0]["count"] == "-3"
    assert rows[7]["value"] == "-2.0"
    assert rows[7]["count"] == "-8"


def test_rejection_export_neutralises_messages_values_and_columns(tmp_path: Path) -> None:
    engine = connect(f"sqlite:///{tmp_path / 'w.sqlite'}")
    run_id = store.begin_run(engine, "nightly", "Test", DEMO_AS_OF)
    rejections = pl.DataFrame(
        {
            "source_id": ["src"] * len(FORMULAS),
            "file": FORMULAS,
            "row_number": list(range(1, len(FORMULAS) + 1)),
            "column": FORMULAS,
            "value": FORMULAS,
            "reason_code": ["not_a_number"] * len(FORMULAS),
            "message": FORMULAS,
        }
    )
    with engine.begin() as connection:
        store.record_rejections(connection, run_id, rejections)
    rows = read_csv(export_csv(engine, "rejections"))
    for column in ("file", "column", "message"):
        assert sorted(r[column] for r in rows) == sorted(f"'{f}" for f in FORMULAS)
    assert sorted(r["row_number"] for r in rows) == [str(n) for n in range(1, 7)]


def test_report_csvs_neutralise_titles_commentary_and_milestones(
    demo_copy: Path, tmp_path: Path
) -> None:
    from boardpack import runs

    indicators = demo_copy / "indicators.csv"
    indicators.write_text(
        indicators.read_text(encoding="utf-8").replace(
            "Child protection plans reviewed within timescale", '"=HYPERLINK(""http://x"",""y"")"'
        ),
        encoding="utf-8",
    )
    returns = demo_copy / "extracts" / "children" / "cyp_returns_2026-27.csv"
    returns.write_text(
        returns.read_text(encoding="utf-8").replace(
            "CYP SC 01,2026-04,100.0,202,202,", "CYP SC 01,2026-04,100.0,202,202,@SUM(1+1)"
        ),
        encoding="utf-8",
    )
    milestones = demo_copy / "extracts" / "registers" / "milestones.csv"
    milestones.write_text(
        milestones.read_text(encoding="utf-8")
        .replace("Launch the family hubs model in all localities,2026-12-31,", "-2+3,2026-12-31,")
        .replace("people,true,on_track,Progressing to", "people,true,on_track,+cmd|' /C calc'!A0"),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    runs.nightly(demo_copy, f"sqlite:///{tmp_path / 'w.sqlite'}", out, DEMO_AS_OF)
    rows = read_csv((out / "2026-27" / "Q1" / "cyp-ppb.csv").read_text(encoding="utf-8"))
    row = next(r for r in rows if r["code"].startswith("CYP SC 01"))
    assert row["title"] == '\'=HYPERLINK("http://x","y")'
    assert row["commentary"] == "'@SUM(1+1)"
    assert not row["actual"].startswith("'")
    milestone = next(
        r
        for r in read_csv((out / "2025-26" / "Q4" / "cyp-ppb-milestones.csv").read_text())
        if r["ref"].startswith("CYP M01")
    )
    assert milestone["description"] == "'-2+3"
    assert milestone["commentary"] == "'+cmd|' /C calc'!A0 plan."
    # The page itself shows the text as it was sent (escaped, without the quote).
    page = (out / "2026-27" / "Q1" / "cyp-ppb.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&quot;http://x&quot;,&quot;y&quot;)" in page


@pytest.mark.parametrize(
    "content", ["not json {", "[]", '{"council": "Somewhere else"}', '{"reports": [1, 2]}']
)
def test_a_foreign_manifest_is_refused_in_one_line_and_left_alone(
    site: Path, content: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    out = site / "elsewhere"
    out.mkdir()
    (out / "manifest.json").write_text(content, encoding="utf-8")
    code, err = boardpack(
        capsys, monkeypatch, "publish", "--config", str(DEMO),
        "--warehouse", f"sqlite:///{site / 'w.sqlite'}", "--out", str(out),
        "--as-of", AS_OF, "--board", "cyp-ppb", "--period", "2026/27 Q1",
    )  # fmt: skip
    assert code == 2
    assert err.count("\n") == 1
    assert "Traceback" not in err
    assert f"{out / 'manifest.json'}: not a boardpack manifest" in err
    assert (out / "manifest.json").read_text(encoding="utf-8") == content
    assert [p.name for p in out.iterdir()] == ["manifest.json"]


def test_files_written_on_threads_are_all_whole_when_the_writer_is_left(tmp_path: Path) -> None:
    """Publishing writes its files on threads (core.files.BackgroundWriter): once it is
    left, every file is there, whole, the last version given for each, no temporary left."""
    texts = {tmp_path / f"page-{i}.html": f"<p>{i}</p>" * (i * 50) for i in range(200)}
    with core.files.BackgroundWriter(threads=4, in_flight=8) as writer:
        for path, text in texts.items():
            writer.write(path, "an older version")
            writer.write(path, text)
    assert {path: path.read_text() for path in texts} == texts
    assert not list(tmp_path.glob(f".*{core.files.TEMP_SUFFIX}"))


def test_a_full_disk_under_the_threaded_writer_is_raised_naming_the_file(
    tmp_path: Path, disk_full_at: Callable[[str], None]
) -> None:
    """A write that fails on a thread fails the writer, with the file's name: the old
    version stays whole, files not yet started are not written, no temporary is left."""
    (tmp_path / "b.html").write_text("old b")
    disk_full_at("b.html")
    names = ("a.html", "b.html", *(f"later-{i}.html" for i in range(50)))
    with (  # noqa: PT012
        pytest.raises(OSError, match="No space left on device") as failed,
        core.files.BackgroundWriter(threads=1, in_flight=1) as writer,
    ):
        for name in names:
            writer.write(tmp_path / name, f"new {name}")
    assert failed.value.filename == str(tmp_path / "b.html")
    assert (tmp_path / "a.html").read_text() == "new a.html"
    assert (tmp_path / "b.html").read_text() == "old b"
    assert not (tmp_path / "later-49.html").exists()  # nothing goes on after a failure
    assert not list(tmp_path.glob(f".*{core.files.TEMP_SUFFIX}"))
