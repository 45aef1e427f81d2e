"""Benchmark: pandas against Polars and DuckDB on the kinds of work our detectors do.

Usage: python bench/engines.py [--folder DIR] [--scale 14] [--seed 2] [--threads 1]

The issue that asked for a columnar path named DuckDB and Polars as candidates for the
heaviest group-bys and joins. This measures them before any detector depends on them, on
the frames a detection loads from the million-record business of ``bench/detect_1m.py``
(generated and imported into ``--folder`` first when it holds no store yet):

1. **text codes**: the e-mails of invoices, appointments and customers trimmed,
   lower-cased and coded in one code space (what every match starts with);
2. **intervals**: per customer, the non-void invoices by issue date, how many and the
   median gap in days (the core of the recurring-work detectors);
3. **as-of join**: each appointment with an attendee e-mail and the first invoice to the
   same cleaned e-mail on or after its day, within 60 days (the core of
   ``appointment_to_invoice``).

Each engine runs in a fresh process, so its import and its threads are its own, with
``--threads`` threads (1 by default: PM4Py and our pass use one core; 0 leaves each
engine's default). The input is our pandas frames; the time to hand them to the engine (its
own copy of the columns) is printed apart from the kernels. Every engine's answers are
checked equal to pandas'. Polars and DuckDB are benchmark-only packages (``pip install -e
'.[bench]'``); an engine that is not installed is skipped.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.append(str(Path(__file__).resolve().parent))  # after the project: bench/connectors.py

import numpy as np
import pandas as pd
from detect_1m import _generate, _in_child, _ingest, _load_cold, _warm_frames, _worker

from busywork.pipeline import enabled_detectors

KERNELS = ("text codes", "intervals", "as-of join")
ENGINES = ("pandas", "polars", "duckdb")
#: An invoice this many days after an appointment no longer bills it.
WITHIN_DAYS = 60

Timed = dict[str, tuple[float, float]]  # stage -> (wall, CPU) seconds


class _Clock:
    """Wall and CPU seconds (every thread of the process) per stage."""

    def __init__(self) -> None:
        self.laps: Timed = {}
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def lap(self, stage: str) -> None:
        wall, cpu = time.perf_counter(), time.process_time()
        self.laps[stage] = (wall - self._wall, cpu - self._cpu)
        self._wall, self._cpu = wall, cpu


def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    """The columns the kernels read, as a detection loads them from the bench's store."""
    worker = _worker(folder, f"sqlite:///{folder / 'store.db'}")
    frames = _warm_frames(worker, enabled_detectors(worker.configs[0]))
    worker.engine.dispose()
    return {
        "invoices": frames["invoice"][["customer_id", "customer_email", "issued_on", "status"]],
        "appointments": frames["appointment"][["attendee_email", "start_at"]],
        "customers": frames["customer"][["email"]],
    }


def _emails(frames: dict[str, pd.DataFrame]) -> pd.Series:
    return pd.concat(
        [
            frames["invoices"]["customer_email"],
            frames["appointments"]["attendee_email"],
            frames["customers"]["email"],
        ],
        ignore_index=True,
    )


def _with_pandas(frames: dict[str, pd.DataFrame], clock: _Clock) -> dict[str, Any]:
    invoices, appointments = frames["invoices"], frames["appointments"]
    emails = _emails(frames)
    clock.lap("hand over")
    codes, distinct = pd.factorize(emails)  # each distinct text is cleaned once
    cleaned_codes, _ = pd.factorize(pd.Series(distinct, dtype=object).str.strip().str.lower())
    codes = np.where(codes >= 0, cleaned_codes[np.maximum(codes, 0)], -1)
    clock.lap("text codes")
    live = invoices[(invoices["status"] != "void") & invoices["customer_id"].notna()]
    live = live.sort_values(["customer_id", "issued_on"], kind="stable")
    gaps = live.groupby("customer_id", sort=False)["issued_on"].diff().dt.days
    per = pd.DataFrame({"customer_id": live["customer_id"], "gap": gaps}).groupby("customer_id")
    intervals = pd.DataFrame({"invoices": per.size(), "median_gap": per["gap"].median()})
    clock.lap("intervals")
    count = len(invoices)
    left = pd.DataFrame(
        {
            "key": codes[count : count + len(appointments)],
            "day": appointments["start_at"].dt.floor("D").to_numpy(),
        }
    )
    right = pd.DataFrame({"key": codes[:count], "issued": invoices["issued_on"].to_numpy()})
    left = left[left["key"] >= 0].sort_values("day", kind="stable")
    right = right[right["key"] >= 0].dropna().sort_values("issued", kind="stable")
    joined = pd.merge_asof(
        left,
        right,
        left_on="day",
        right_on="issued",
        by="key",
        direction="forward",
        tolerance=pd.Timedelta(days=WITHIN_DAYS),
    )
    lag = (joined["issued"] - joined["day"]).dt.days
    clock.lap("as-of join")
    return {
        "text codes": _partition(codes),
        "intervals": _rows(
            intervals.index, intervals["invoices"], intervals["median_gap"].fillna(-1)
        ),
        "as-of join": (int(lag.notna().sum()), int(lag.sum())),
    }


def _with_polars(frames: dict[str, pd.DataFrame], clock: _Clock) -> dict[str, Any]:
    import polars as pl  # noqa: PLC0415

    invoices = _to_polars(pl, frames["invoices"])
    appointments = _to_polars(pl, frames["appointments"])
    emails = pl.Series("email", _emails(frames).tolist(), dtype=pl.String)
    clock.lap("hand over")
    cleaned = emails.str.strip_chars().str.to_lowercase()
    codes = cleaned.cast(pl.Categorical).to_physical().cast(pl.Int64).fill_null(-1)
    clock.lap("text codes")
    intervals = (
        invoices.filter((pl.col("status") != "void") & pl.col("customer_id").is_not_null())
        .sort(["customer_id", "issued_on"], maintain_order=True)
        .with_columns(gap=pl.col("issued_on").diff().dt.total_days().over("customer_id"))
        .group_by("customer_id")
        .agg(invoices=pl.len(), median_gap=pl.col("gap").median())
        .sort("customer_id")
    )
    clock.lap("intervals")
    count = len(invoices)
    left = (
        pl.DataFrame(
            {
                "key": codes[count : count + len(appointments)],
                "day": appointments["start_at"].dt.truncate("1d"),
            }
        )
        .filter(pl.col("key") >= 0)
        .sort("day")
    )
    right = (
        pl.DataFrame({"key": codes[:count], "issued": invoices["issued_on"]})
        .filter((pl.col("key") >= 0) & pl.col("issued").is_not_null())
        .sort("issued")
    )
    joined = left.join_asof(
        right,
        left_on="day",
        right_on="issued",
        by="key",
        strategy="forward",
        tolerance=f"{WITHIN_DAYS}d",
        check_sortedness=False,  # both are sorted by day above; by-groups cannot be checked
    )
    lag = (joined["issued"] - joined["day"]).dt.total_days()
    clock.lap("as-of join")
    return {
        "text codes": _partition(codes.to_numpy()),
        "intervals": _rows(
            intervals["customer_id"].to_list(),
            intervals["invoices"].to_list(),
            intervals["median_gap"].fill_null(-1).to_list(),
        ),
        "as-of join": (int(lag.is_not_null().sum()), int(lag.sum())),
    }


def _to_polars(pl: Any, frame: pd.DataFrame) -> Any:
    """Text columns through Python lists: Polars takes object columns only through pyarrow."""
    return pl.DataFrame(
        {
            name: pl.Series(name, column.tolist(), dtype=pl.String)
            if column.dtype == object
            else pl.Series(name, column.to_numpy())
            for name, column in frame.items()
        }
    )


def _with_duckdb(frames: dict[str, pd.DataFrame], clock: _Clock, threads: int) -> dict[str, Any]:
    import duckdb  # noqa: PLC0415

    db = duckdb.connect()
    if threads:
        db.execute(f"SET threads = {threads}")
    invoices = frames["invoices"].assign(row=np.arange(len(frames["invoices"])))
    appointments = frames["appointments"].assign(row=np.arange(len(frames["appointments"])))
    every_email = _emails(frames)
    emails = pd.DataFrame({"email": every_email, "row": np.arange(len(every_email))})
    for name, frame in (("inv", invoices), ("apt", appointments), ("em", emails)):
        db.register("handed", frame)  # a view of the pandas frame; the table is DuckDB's copy
        db.execute(f"CREATE TABLE {name} AS SELECT * FROM handed")
        db.unregister("handed")
    clock.lap("hand over")
    db.execute(
        "CREATE TABLE coded AS SELECT row, CASE WHEN email IS NULL THEN -1 ELSE"
        " dense_rank() OVER (ORDER BY lower(trim(email))) END AS code FROM em"
    )
    codes = db.execute("SELECT code FROM coded ORDER BY row").fetchnumpy()["code"]
    clock.lap("text codes")
    intervals = db.execute(
        "WITH live AS (SELECT customer_id, issued_on, date_diff('day', lag(issued_on) OVER"
        " (PARTITION BY customer_id ORDER BY issued_on), issued_on) AS gap FROM inv"
        " WHERE status <> 'void' AND customer_id IS NOT NULL)"
        " SELECT customer_id, count(*) AS invoices, median(gap) AS median_gap FROM live"
        " GROUP BY customer_id ORDER BY customer_id"
    ).df()
    clock.lap("intervals")
    count = len(invoices)
    matched, total = db.execute(
        "WITH l AS (SELECT c.code AS key, date_trunc('day', a.start_at) AS day FROM apt a"
        f" JOIN coded c ON c.row = a.row + {count} WHERE c.code >= 0),"
        " r AS (SELECT c.code AS key, i.issued_on AS issued FROM inv i"
        " JOIN coded c ON c.row = i.row WHERE c.code >= 0 AND i.issued_on IS NOT NULL),"
        " j AS (SELECT date_diff('day', l.day, r.issued) AS lag FROM l"
        " ASOF LEFT JOIN r ON l.key = r.key AND l.day <= r.issued)"
        f" SELECT count(*) FILTER (WHERE lag <= {WITHIN_DAYS}),"
        f" coalesce(sum(lag) FILTER (WHERE lag <= {WITHIN_DAYS}), 0) FROM j"
    ).fetchone()
    clock.lap("as-of join")
    return {
        "text codes": _partition(codes),
        "intervals": _rows(
            intervals["customer_id"], intervals["invoices"], intervals["median_gap"].fillna(-1)
        ),
        "as-of join": (int(matched), int(total)),
    }


def _partition(codes: Any) -> tuple[int, str]:
    """Codes compared by the rows they group (numbering differs between engines)."""
    renumbered, _ = pd.factorize(np.asarray(codes))
    renumbered[np.asarray(codes) < 0] = -1
    return int(renumbered.max()) + 1, str(pd.util.hash_array(renumbered).sum())


def _rows(customers: Any, counts: Any, gaps: Any) -> list[tuple[str, int, float]]:
    """Per customer: how many invoices and the median gap (-1 with a single invoice)."""
    return [
        (str(customer), int(count), float(gap))
        for customer, count, gap in zip(customers, counts, gaps, strict=True)
    ]


def _run(engine: str, folder: Path, threads: int) -> dict[str, Any]:
    if engine == "polars" and threads:
        os.environ["POLARS_MAX_THREADS"] = str(threads)  # read when polars is imported
    frames = _frames(folder)
    clock = _Clock()
    if engine == "pandas":
        answers = _with_pandas(frames, clock)
    elif engine == "polars":
        answers = _with_polars(frames, clock)
    else:
        answers = _with_duckdb(frames, clock, threads)
    return {"laps": clock.laps, "answers": answers}


def _prepared(folder: Path, seed: int, scale: float) -> None:
    if (folder / "store.db").exists():
        return
    url = f"sqlite:///{folder / 'store.db'}"
    _in_child(_generate, folder, seed, scale)
    _in_child(_ingest, folder, url)
    _in_child(_load_cold, folder, url)  # stores the snapshots a detection reads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--folder", type=Path, default=None, help="bench business (kept)")
    parser.add_argument("--scale", type=float, default=14.0)
    parser.add_argument("--seed", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1, help="0: each engine's default")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.folder or Path(tmp)
        _prepared(folder, args.seed, args.scale)
        results = {
            engine: _in_child(_run, engine, folder, args.threads)
            for engine in ENGINES
            if engine == "pandas" or importlib.util.find_spec(engine) is not None
        }
    _print(results, args.threads)


def _print(results: dict[str, dict[str, Any]], threads: int) -> None:
    anchor = results["pandas"]
    print(f"threads per engine: {threads or 'default'}; seconds wall / CPU; ratio to pandas CPU")
    print(f"{'':14}" + "".join(f"{engine:>26}" for engine in results))
    for stage in ("hand over", *KERNELS):
        cells = []
        for result in results.values():
            wall, cpu = result["laps"][stage]
            base = anchor["laps"][stage][1]
            ratio = f" ({cpu / base:.2f})" if base > 0 else ""
            cells.append(f"{wall:.3f} / {cpu:.3f}{ratio}")
        print(f"{stage:14}" + "".join(f"{cell:>26}" for cell in cells))
    for engine, result in results.items():
        same = all(result["answers"][kernel] == anchor["answers"][kernel] for kernel in KERNELS)
        print(f"{engine}: answers {'equal to pandas' if same else 'DIFFER from pandas'}")
        if not same:
            raise SystemExit(1)


if __name__ == "__main__":
    main()
