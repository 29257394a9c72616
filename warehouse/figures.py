"""The figures a load into an empty warehouse stores, kept beside its transaction for the
measures computed after it."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import polars as pl
import sqlalchemy as sa

from warehouse import store


class FirstLoad:
    """Every figure that a load into a warehouse holding none stores: then the current
    figures are those and no others. They are kept, as the load stores each file's, in
    files of their own, a slice of indicators (``slices``) in each, so that the measures
    are computed from them rather than read back, and what each source sent is counted
    from them. Read back, they came through Python's driver a tuple at a time (no other
    connection can see them before the transaction commits): at 10^7 figures, 13 s of the
    first load for the measures and two scans of every figure for the sources.

    Values are kept as the warehouse stores them: SQLite keeps a float that is a whole
    number as an integer, so ``-0.0`` comes back as ``0.0``.
    """

    def __init__(
        self, slices: Sequence[Sequence[str]], columns: Sequence[str], dialect: str
    ) -> None:
        self._numbers_of = {tuple(codes): n for n, codes in enumerate(slices)}
        self._columns = list(columns)
        self._schema = pl.Schema(store.observation_schema(self._columns))
        self._numbers = pl.DataFrame(
            {
                "indicator_code": [code for codes in slices for code in codes],
                "_slice": [n for n, codes in enumerate(slices) for _ in codes],
            },
            schema={"indicator_code": pl.String, "_slice": pl.Int64},
        )
        self._signed_zero_lost = dialect == "sqlite"
        self._folder = Path(tempfile.mkdtemp(prefix="boardpack-first-load-"))
        self._files: dict[int, list[Path]] = {}
        # Each file's distinct combinations of what sources sent (store.SOURCES_SENT).
        self._sent: dict[tuple[str, ...], list[pl.DataFrame]] = {
            tuple(schema): [] for schema in store.SOURCES_SENT
        }

    def keep(self, stored: pl.DataFrame) -> None:
        """Keep one file's stored figures (those of indicators in no slice are not read)."""
        for schema in store.SOURCES_SENT:
            self._sent[tuple(schema)].append(stored.select(list(schema)).cast(schema).unique())
        figures = stored.select(self._columns).cast(self._schema)
        if self._signed_zero_lost:
            floats = [name for name, dtype in self._schema.items() if dtype == pl.Float64]
            figures = figures.with_columns(pl.col(floats) + 0.0)  # -0.0 + 0.0 is 0.0
        numbered = figures.join(self._numbers, on="indicator_code")
        for (number,), part in numbered.partition_by("_slice", as_dict=True).items():
            kept = self._files.setdefault(int(number), [])
            path = self._folder / f"{number}-{len(kept)}.arrow"
            part.drop("_slice").write_ipc(path)
            kept.append(path)

    def figures_of(self, codes: Sequence[str]) -> pl.DataFrame | None:
        """The current figures of one of the slices' indicators, ``codes``; None for codes
        that are not one of the slices."""
        number = self._numbers_of.get(tuple(codes))
        if number is None:
            return None
        parts = [pl.read_ipc(path) for path in self._files.get(number, [])]
        return pl.concat(parts) if parts else pl.DataFrame(schema=self._schema)

    def distinct(self, schema: pl.Schema) -> pl.DataFrame:
        """The distinct combinations of one of :data:`warehouse.store.SOURCES_SENT`'s
        columns among the figures stored (every current figure)."""
        kept = self._sent[tuple(schema)]
        return pl.concat([pl.DataFrame(schema=schema), *kept], how="vertical").unique()

    def close(self) -> None:
        shutil.rmtree(self._folder, ignore_errors=True)


@contextmanager
def first_load(
    connection: sa.Connection,
    slices: Callable[[], Sequence[Sequence[str]]],
    columns: Sequence[str],
) -> Iterator[FirstLoad | None]:
    """A :class:`FirstLoad` (of the indicators ``slices()`` gives, worked out only then)
    when the warehouse holds no figures yet, else None; its files removed when the block
    ends, however it ends."""
    if store.holds_figures(connection):
        yield None
        return
    kept = FirstLoad(slices(), columns, connection.dialect.name)
    try:
        yield kept
    finally:
        kept.close()
