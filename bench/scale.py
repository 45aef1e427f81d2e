"""Benchmark: many small businesses on Procrastinate workers, against a slow fake vendor API.

Usage (PostgreSQL on 127.0.0.1, trust auth; a database ``busywork_bench`` is created and
used alone, so its transaction counters are ours):

    python bench/scale.py                      # 100 businesses x 3 connectors, workers 1,2,4
    python bench/scale.py --full               # 1,000 businesses, 5 kill runs (the issue's size)
    python bench/scale.py --businesses 300 --workers 1,2 --window 120

What it measures, per worker count (fresh schema each time):

- backfill: every connector due at once; seconds until every connector was polled, every
  business detected and every webhook (findings go to a local receiver) delivered;
- steady state: each connector moved to a 1-minute grid, first slots spread over the
  minute (heavier than the issue's 15-minute interval at 1,000 businesses: N x 3 polls a
  minute); polls started per minute and the p95 delay between a poll's planned slot and
  its start;
- idle: nothing due for a minute; database transactions per business per minute (also
  measured alone, on a fresh database with nothing ever due: ``idle:`` lines);
- peak RSS of each worker (VmHWM).

Then: SIGKILL one of 3 workers in the middle of the backfill and restart it at once
(``--kill-runs`` times): seconds until its jobs were retried elsewhere, records lost and
duplicated; and two ``busywork run`` started at the same instant on an empty database
(``--race-runs`` times): crashes. Figures are printed, not asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from busywork.store.db import open_store  # noqa: E402
from busywork.tenants import sync_directory  # noqa: E402
from tests.delivery.configs import SECRET  # noqa: E402
from tests.delivery.servers import Receiver  # noqa: E402
from tests.fake_stripe_server import (  # noqa: E402
    CUSTOMERS_PER_ACCOUNT,
    INVOICES_PER_ACCOUNT,
    FakeStripe,
    business_yaml,
)

SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
DATABASE = "busywork_bench"
CONNECTORS = 3
RECORDS_PER_CONNECTOR = CUSTOMERS_PER_ACCOUNT + 2 * INVOICES_PER_ACCOUNT
CONCURRENCY = 6
STARTED = re.compile(
    r"^(\S+ \S+) INFO\s+procrastinate\.worker\.worker: Starting job busywork\.poll_connector"
    r"\[\d+\]\(business='([^']+)', connector='([^']+)'\)"
)
RETRIED = re.compile(r"^(\S+ \S+) WARNING\s+busywork\.worker: stalled job id=\d+ action=retried")


PG_BIN = Path("/usr/lib/postgresql/15/bin")


@contextlib.contextmanager
def own_postgres(port: int = 55432) -> Iterator[str]:
    """A private PostgreSQL cluster for the run (needs the server binaries and a ``postgres``
    user): on a shared server, LISTEN/NOTIFY traffic in *other* databases wakes our
    listening connections, and each wake-up is a transaction counted against our database.
    """
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    data = folder / "data"
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    subprocess.run(
        [*as_postgres, str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c max_connections=300"
    subprocess.run(
        [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-o", options, "-w", "start"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(
            [*as_postgres, str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"],
            check=False,
            stdout=subprocess.DEVNULL,
        )
        shutil.rmtree(folder, ignore_errors=True)


def _admin() -> sa.Engine:
    return sa.create_engine(f"{SERVER}/postgres", isolation_level="AUTOCOMMIT")


def fresh_database() -> str:
    """Recreate the bench database; returns its URL."""
    admin = _admin()
    with admin.connect() as connection:
        connection.execute(sa.text(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)"))
        connection.execute(sa.text(f"CREATE DATABASE {DATABASE}"))
        # Calls per Procrastinate function: where the idle transactions come from.
        connection.execute(sa.text(f"ALTER DATABASE {DATABASE} SET track_functions = 'pl'"))
    admin.dispose()
    return f"{SERVER}/{DATABASE}"


def write_tenants(
    folder: Path, businesses: int, api: str, url: str, interval: str, hook: str
) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for n in range(businesses):
        text = business_yaml(
            f"b{n:04d}", api, url, connectors=CONNECTORS, interval=interval, webhook=hook
        )
        (folder / f"b{n:04d}.yaml").write_text(text)


def all_done(engine: sa.Engine, businesses: int) -> bool:
    """Every connector polled, every business detected, nothing left to send."""
    return (
        scalar(engine, "SELECT count(*) FROM connector_state WHERE last_success_at IS NOT NULL")
        == businesses * CONNECTORS
        and scalar(engine, "SELECT count(DISTINCT business) FROM detector_watermark") == businesses
        and scalar(engine, "SELECT count(*) FROM delivery WHERE status = 'pending'") == 0
    )


def duplicates(receiver: Receiver) -> int:
    ids = [item.webhook_id for item in receiver.received]
    return len(ids) - len(set(ids))


def start_worker(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "busywork", "--log-level", "INFO", "run", "--store", url),
            *("--concurrency", str(CONCURRENCY), *extra),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=log.open("a"),
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for process in processes:
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()


def peak_rss_mib(process: subprocess.Popen[bytes]) -> float:
    try:
        text = Path(f"/proc/{process.pid}/status").read_text()
    except OSError:
        return float("nan")
    kib = int(re.search(r"VmHWM:\s+(\d+)", text).group(1))  # type: ignore[union-attr]
    return kib / 1024


def scalar(engine: sa.Engine, query: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(sa.text(query)).scalar_one() or 0)


def wait_for(condition: Callable[[], bool], seconds: float) -> float | None:
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.5)
    return None


def transactions(engine: sa.Engine) -> int:
    return scalar(
        engine,
        f"SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = '{DATABASE}'",
    )


#: What each Procrastinate function call is, in the idle breakdown (one transaction each).
SOURCES = {
    "procrastinate_update_heartbeat_v1": "heartbeat",
    "procrastinate_fetch_job_v2": "fetch",
    "procrastinate_defer_periodic_job_v2": "periodic_defer",
    "procrastinate_defer_jobs_v1": "defer",
    "procrastinate_finish_job_v1": "finish",
    "procrastinate_retry_job_v2": "retry",
}


#: Seconds for every backend's pending statistics to reach ``pg_stat_database`` (PostgreSQL
#: flushes them at most 60 s late; see :func:`idle_sources`).
STATS_SETTLE_SECONDS = 75.0


def function_calls(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT funcname, calls FROM pg_stat_user_functions"))
        return {str(name): int(calls) for name, calls in rows}


def autovacuum_runs(engine: sa.Engine) -> int:
    return scalar(
        engine,
        "SELECT sum(autovacuum_count + autoanalyze_count) FROM pg_stat_user_tables",
    )


def idle_sources(engine: sa.Engine, seconds: float) -> tuple[int, dict[str, int]]:
    """Transactions in ``seconds`` and the Procrastinate calls among them, by source.

    The database is vacuumed and analysed first: a fresh database's first autovacuum pass
    (a transaction per table, ~100) is set-up, not idle cost. Autovacuum runs that still
    happen in the window are counted (``autovacuum=``).

    Then the counters are left to settle for :data:`STATS_SETTLE_SECONDS`: PostgreSQL
    adds a backend's transactions to ``pg_stat_database`` when it flushes its statistics,
    at most once a second while busy, 10 s after it falls idle and, when the shared entry
    is contended, up to 60 s late. Counted straight after a busy run, a minute holds
    hundreds of transactions the run made (bursts of ~200 with no client statement in the
    server's statement log), not the idle fleet's.
    """
    vacuum = sa.create_engine(engine.url, isolation_level="AUTOCOMMIT")
    with vacuum.connect() as connection:
        connection.execute(sa.text("VACUUM ANALYZE"))
    vacuum.dispose()
    time.sleep(STATS_SETTLE_SECONDS)
    autovacuum_before = autovacuum_runs(engine)
    calls_before, before = function_calls(engine), transactions(engine)
    time.sleep(seconds)
    total = transactions(engine) - before
    calls_after = function_calls(engine)
    sources = {
        label: calls_after.get(name, 0) - calls_before.get(name, 0)
        for name, label in SOURCES.items()
    }
    sources["autovacuum"] = autovacuum_runs(engine) - autovacuum_before
    sources = {label: count for label, count in sources.items() if count}
    # The rest: upkeep ticks (or the old periodic jobs' bodies), clock reads, the bench's
    # own queries (4 a window).
    sources["other"] = total - sum(sources.values())
    return total, sources


def cpu_seconds(process: subprocess.Popen[bytes]) -> float:
    """User + system CPU seconds the process used so far."""
    try:
        fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def log_starts(logs: list[Path]) -> dict[tuple[str, str], list[datetime]]:
    starts: dict[tuple[str, str], list[datetime]] = {}
    for log in logs:
        for line in log.read_text().splitlines():
            match = STARTED.match(line)
            if match:
                when = datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
                starts.setdefault((match[2], match[3]), []).append(when)
    return starts


def one_worker_count(
    workers: int,
    businesses: int,
    api: FakeStripe,
    hook: Receiver,
    base: Path,
    window: float,
    interval: int,
) -> dict[str, float | str]:
    url = fresh_database()
    hook.received.clear()
    folder = base / f"w{workers}" / "tenants"
    write_tenants(folder, businesses, api.url, url, "15m", hook.url)
    engine = open_store(url)
    sync_directory(engine, folder, now=datetime.now(UTC))
    logs = [base / f"w{workers}" / f"worker{n}.log" for n in range(workers)]
    processes = [start_worker(url, log) for log in logs]
    backfill_load = load()
    backfill = wait_for(lambda: all_done(engine, businesses), 3600)
    backfill_cpu = sum(cpu_seconds(process) for process in processes)
    sent = scalar(engine, "SELECT count(*) FROM delivery WHERE status = 'sent'")
    # Steady state: every connector moves to a grid of ``interval`` seconds (the scheduler
    # reads the interval from the store), first slots spread evenly over one interval.
    grid_start = datetime.now(UTC) + timedelta(seconds=5)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "UPDATE connector_state SET interval_seconds = :interval,"
                " next_poll_at = :start + make_interval(secs =>"
                " (abs(hashtext(business || connector)) % (:interval * 1000)) / 1000.0)"
            ),
            {"start": grid_start, "interval": interval},
        )
        planned = {
            (row.business, row.connector): row.next_poll_at
            for row in connection.execute(
                sa.text("SELECT business, connector, next_poll_at FROM connector_state")
            )
        }
    before = {key: len(value) for key, value in log_starts(logs).items()}
    time.sleep((grid_start - datetime.now(UTC)).total_seconds() + window)
    delays, polls = [], 0
    for key, times in log_starts(logs).items():
        fresh = times[before.get(key, 0) :]
        for slot, when in enumerate(fresh):
            slot_at = planned[key] + timedelta(seconds=slot * interval)
            delays.append((when - slot_at).total_seconds())
        polls += len(fresh)
    # Idle: nothing due for a minute, once the backlog the steady state left is drained.
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE connector_state SET next_poll_at = now() + '1 day'"))
    wait_for(
        lambda: (
            scalar(
                engine,
                "SELECT count(*) FROM procrastinate_jobs WHERE status IN ('todo', 'doing')"
                " AND args ? 'business'",
            )
            == 0
        ),
        600,
    )
    time.sleep(5)
    idle, sources = idle_sources(engine, 60)
    rss = [peak_rss_mib(process) for process in processes]
    stop(processes)
    engine.dispose()
    delays.sort()
    return {
        "workers": workers,
        "poll_detect_deliver_all_s": backfill if backfill is not None else float("nan"),
        "backfill_worker_cpu_s": backfill_cpu,
        "webhooks_sent": sent,
        "duplicate_webhook_ids": duplicates(hook),
        "polls_per_min": polls / (window / 60),
        "p95_delay_s": delays[int(0.95 * (len(delays) - 1))] if delays else float("nan"),
        "max_delay_s": delays[-1] if delays else float("nan"),
        "idle_tx_per_min": idle,
        "idle_tx_per_business_min": f"{idle / businesses:.4f}",
        "idle_sources": ",".join(f"{label}={count}" for label, count in sources.items()),
        "peak_rss_mib": max(rss),
        "load_at_start": backfill_load,
    }


def idle_only(
    workers: int, businesses: int, api: FakeStripe, hook: Receiver, base: Path
) -> tuple[int, dict[str, int]]:
    """Transactions per business per minute with N workers and nothing due."""
    url = fresh_database()
    folder = base / f"idle{workers}" / "tenants"
    write_tenants(folder, businesses, api.url, url, "15m", hook.url)
    engine = open_store(url)
    sync_directory(engine, folder, now=datetime.now(UTC))
    with engine.begin() as connection:
        connection.execute(sa.text("UPDATE connector_state SET next_poll_at = now() + '1 day'"))
    logs = [base / f"idle{workers}" / f"worker{n}.log" for n in range(workers)]
    processes = [start_worker(url, log) for log in logs]
    registered = "SELECT count(*) FROM procrastinate_workers"
    wait_for(lambda: scalar(engine, registered) >= workers, 300)
    time.sleep(20)  # first ticks done
    idle = idle_sources(engine, 60)
    stop(processes)
    engine.dispose()
    return idle


def kill_run(
    businesses: int, api: FakeStripe, hook: Receiver, base: Path, run: int
) -> dict[str, float]:
    url = fresh_database()
    hook.received.clear()
    folder = base / f"kill{run}" / "tenants"
    write_tenants(folder, businesses, api.url, url, "15m", hook.url)
    engine = open_store(url)
    sync_directory(engine, folder, now=datetime.now(UTC))
    logs = [base / f"kill{run}" / f"worker{n}.log" for n in range(4)]
    processes = [start_worker(url, log) for log in logs[:3]]
    expected = businesses * CONNECTORS * RECORDS_PER_CONNECTOR
    wait_for(lambda: scalar(engine, "SELECT count(*) FROM event") >= expected // 3, 600)
    processes[0].send_signal(signal.SIGKILL)
    processes[0].wait()
    killed = datetime.now(UTC)
    processes[0] = start_worker(url, logs[3])  # restarted at once, as systemd would
    done = wait_for(lambda: all_done(engine, businesses), 1800)
    time.sleep(2)
    retried = [
        datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC)
        for log in logs
        for line in log.read_text().splitlines()
        if (match := RETRIED.match(line))
    ]
    events = scalar(engine, "SELECT count(*) FROM event")
    records = sum(
        scalar(engine, f"SELECT count(*) FROM {table}")
        for table in ("customer", "invoice", "invoice_line")
    )
    stop(processes)
    engine.dispose()
    return {
        "run": run,
        "retried_jobs": len(retried),
        "restart_s": max((when - killed).total_seconds() for when in retried) if retried else 0,
        "all_polled_after_kill_s": done if done is not None else float("nan"),
        "lost": expected - records,
        "duplicated": events - expected,
        "duplicate_webhook_ids": duplicates(hook),
    }


def race(api: FakeStripe, hook: Receiver, base: Path, runs: int) -> int:
    crashes = 0
    for run in range(runs):
        url = fresh_database()
        folder = base / f"race{run}" / "tenants"
        write_tenants(folder, 5, api.url, url, "15m", hook.url)
        logs = [base / f"race{run}" / f"worker{n}.log" for n in range(2)]
        processes = [start_worker(url, log, "-c", str(folder)) for log in logs]
        wait_for(lambda logs=logs: all("action=started" in f.read_text() for f in logs), 120)
        exited = [process.poll() for process in processes]
        crashes += sum(code not in (None, 0) for code in exited)
        stop(processes)
        crashes += sum("Traceback" in log.read_text() for log in logs)
    return crashes


def _fmt(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--businesses", type=int, default=100)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--window", type=float, default=90.0, help="steady-state seconds")
    parser.add_argument(
        "--interval", type=int, default=60, help="steady-state poll interval, seconds"
    )
    parser.add_argument("--kill-runs", type=int, default=1)
    parser.add_argument("--race-runs", type=int, default=20)
    parser.add_argument("--full", action="store_true", help="1,000 businesses, 5 kill runs")
    parser.add_argument(
        "--own-postgres",
        action="store_true",
        help="run a private PostgreSQL cluster (idle counts not polluted by other databases)",
    )
    parser.add_argument("--skip", default="", help="comma list of: scale,idle,kill,race")
    args = parser.parse_args()
    if args.full:  # the size and interval: 1,000 x 3 polls every 15 minutes
        args.businesses, args.kill_runs, args.interval, args.window = 1000, 5, 900, 180
    skip = set(args.skip.split(","))
    global SERVER  # noqa: PLW0603 (every helper above reads it; one switch, at start)
    with contextlib.ExitStack() as stack:
        if args.own_postgres:
            SERVER = stack.enter_context(own_postgres())
        run(args, skip)


def run(args: argparse.Namespace, skip: set[str]) -> None:
    """Every part of the benchmark not in ``skip``, printing as it goes."""
    os.environ["FAKE_STRIPE_KEY"] = "rk_test_bench"  # the configs reference these as ${...}
    os.environ["HOOK_SECRET"] = SECRET
    # Records made six weeks ago: inside the window admin time is measured over, so each
    # business's double entry is worth something and is delivered.
    api = FakeStripe(latency=(0.1, 0.3), created=int(time.time()) - 42 * 86_400).start()
    hook = Receiver(SECRET).start()
    print(
        f"{args.businesses} businesses x {CONNECTORS} connectors, fake API 100-300 ms,"
        f" concurrency {CONCURRENCY} per worker, {os.cpu_count()} CPUs, load {load()}"
    )
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        if "scale" not in skip:
            for workers in (int(n) for n in args.workers.split(",")):
                row = one_worker_count(
                    workers, args.businesses, api, hook, base, args.window, args.interval
                )
                print(" ".join(f"{key}={_fmt(value)}" for key, value in row.items()), flush=True)
        if "idle" not in skip:
            for workers in (int(n) for n in args.workers.split(",")):
                total, sources = idle_only(workers, args.businesses, api, hook, base)
                print(
                    f"idle: workers={workers} tx_per_min={total}"
                    f" tx_per_business_min={total / args.businesses:.4f}"
                    f" goal<={1 / 15:.4f} load={load()} sources: "
                    + " ".join(f"{label}={count}" for label, count in sources.items()),
                    flush=True,
                )
        if "kill" not in skip:
            rows = [
                kill_run(args.businesses, api, hook, base, run) for run in range(args.kill_runs)
            ]
            for row in rows:
                print(" ".join(f"{key}={_fmt(value)}" for key, value in row.items()), flush=True)
            if rows:
                print(f"median restart_s={statistics.median(r['restart_s'] for r in rows):.1f}")
        if "race" not in skip:
            crashes = race(api, hook, base, args.race_runs)
            print(f"race: {crashes} crashes in {args.race_runs} runs")
    api.stop()
    hook.stop()


if __name__ == "__main__":
    main()
