"""Every ``busywork`` command line shown in the README and the docs runs, as written.

Each documented line (read by :mod:`tests.test_docs_commands`) is run in a folder of its
own holding ``busywork.yaml`` over a small folder of exports that has been scanned once,
offline: paths the docs show (``~/Downloads/xero-export``, ``/etc/busywork/tenants``) are
that folder's, a documented finding id is a real one, a vendor is a local fake. Commands
that run until stopped (``run``, ``serve``) are started in a process of their own,
watched until they say they work, and stopped with Ctrl-C (SIGINT); ``eval`` runs one seed.
A documented line that exits other than 0 here is a broken promise to the reader.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import responses
from cryptography.fernet import Fernet

from busywork.cli import main
from tests.test_docs_commands import DOCUMENTED, _variants

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-10-31"
#: Commands that take long (a whole generated business) or start a process of their own.
SLOW = {"demo", "generate", "eval", "run", "serve"}
#: The export folders the transcripts in the docs were made from (tests/data/exports/).
EXPORT_FOLDERS = ("quickbooks", "xero", "shopify")
#: Where the docs' example paths point in the sandbox.
PATHS = {
    "~/Downloads/xero-export": "xero-export",
    "/etc/busywork/tenants/any.yaml": "tenants/any.yaml",
    "/etc/busywork/tenants": "tenants",
}
XERO_TOKEN_URL = "https://identity.xero.com/connect/token"
XERO_CONNECTIONS_URL = "https://api.xero.com/connections"


def _invoices(folder: Path) -> None:
    """Nine months of two customers invoiced by hand every month: two findings."""
    folder.mkdir()
    with (folder / "invoices.csv").open("w", newline="") as handle:
        writer = csv.writer(handle)
        header = ["Invoice Number", "Customer", "Invoice Date", "Due Date", "Total", "Currency"]
        writer.writerow([*header, "Status", "Paid Date"])
        number = 0
        for month in range(1, 10):
            for customer, total in (("Ashford Florist", "823.00"), ("Foxhall Bakery", "410.00")):
                number += 1
                day = f"2026-{month:02d}"
                dates = [f"{day}-05", f"{day}-19"]
                writer.writerow(
                    [f"INV-{number:04d}", customer, *dates, total, "GBP", "Paid", f"{day}-28"]
                )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    """A folder with exports, ``busywork.yaml`` and its store after one scan; the finding ids."""
    base = tmp_path_factory.mktemp("docs")
    _invoices(base / "exports")
    shutil.copytree(base / "exports", base / "xero-export")
    config = base / "busywork.yaml"
    assert main(["init", str(base / "exports"), "--yes", "-c", str(config)]) == 0
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert main(["scan", "-c", str(config), "--as-of", AS_OF, "--json"]) == 0
    ids = re.findall(r'"id": "(rec_[0-9a-f]{16})"', printed.getvalue())
    assert ids, "the sandbox scan must find something for feedback to act on"
    for name in EXPORT_FOLDERS:
        shutil.copytree(ROOT / "tests" / "data" / "exports" / name, base / name)
    (base / "tenants").mkdir()
    tenant = config.read_text().replace("path: exports", "path: ../exports")
    (base / "tenants" / "any.yaml").write_text(tenant)
    shutil.copy(config, base / "shop.yaml")
    return base, ids


@pytest.fixture
def sandbox(
    scanned: tuple[Path, list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, str]:
    """A fresh copy of the scanned folder as the working directory; a finding id in it."""
    base, ids = scanned
    folder = tmp_path / "here"
    shutil.copytree(base, folder)
    monkeypatch.chdir(folder)
    monkeypatch.delenv("BUSYWORK_DATABASE_URL", raising=False)
    monkeypatch.setenv("BUSYWORK_SECRET_KEYS", Fernet.generate_key().decode())
    monkeypatch.setenv("XERO_CLIENT_ID", "cid")
    monkeypatch.setenv("XERO_CLIENT_SECRET", "csecret")
    return folder, ids[0]


def _argv(rest: str, finding: str) -> list[list[str]]:
    for shown, here in PATHS.items():
        rest = rest.replace(shown, here)
    rest = rest.replace("rec_5493b7a1d80cc4eb", finding)
    variants = _variants(rest)
    for argv in variants:
        for index, word in enumerate(argv):
            if word == "rec_0123456789abcdef":  # the README's ID placeholder
                argv[index] = finding
            if word == "books" and "connect" in argv:
                argv[index] = "books-xero"
        if "eval" in argv:  # one seed, small: the same command, bounded
            argv[argv.index("--seeds") + 1] = "1"
            argv.extend(["--scale", "0.05"] + ([] if "--jobs" in argv else ["--jobs", "1"]))
    return variants


def _command(argv: list[str]) -> str:
    return next(word for word in argv if not word.startswith("-") and word not in ("INFO",))


def _add_xero(folder: Path, port: int) -> None:
    config = folder / "busywork.yaml"
    config.write_text(
        config.read_text().replace(
            "connectors:\n",
            "connectors:\n"
            "  - name: books-xero\n"
            "    type: xero\n"
            "    client_id: ${XERO_CLIENT_ID}\n"
            "    client_secret: ${XERO_CLIENT_SECRET}\n"
            f"    redirect_uri: http://localhost:{port}/callback\n"
            "    enabled: false\n",
            1,
        )
    )


@responses.activate
def _connect(argv: list[str], folder: Path, capsys: pytest.CaptureFixture[str]) -> int:
    """``connect``: the browser's part played here, Xero's token endpoint faked."""
    port = _free_port()
    _add_xero(folder, port)
    responses.post(
        XERO_TOKEN_URL,
        json={"access_token": "acc-1234", "refresh_token": "ref-5678", "expires_in": 1800},
    )
    responses.get(XERO_CONNECTIONS_URL, json=[{"tenantId": "tenant-1"}])
    if "--refresh-token-stdin" in argv:
        sys.stdin = io.StringIO("ref-given-0000\n")
        try:
            return main(argv)
        finally:
            sys.stdin = sys.__stdin__
    result: dict[str, int] = {}
    worker = threading.Thread(target=lambda: result.setdefault("rc", main(argv)))
    worker.start()
    shown = ""
    deadline = time.monotonic() + 30
    while "state=" not in shown and time.monotonic() < deadline:
        shown += capsys.readouterr().out
        time.sleep(0.05)
    state = re.search(r"state=([\w-]+)", shown)
    assert state, f"no consent URL shown: {shown!r}"
    redirect = f"http://127.0.0.1:{port}/callback?code=abc&state={state.group(1)}"
    while worker.is_alive() and time.monotonic() < deadline:
        try:
            urllib.request.urlopen(redirect, timeout=5).read()
            break
        except OSError:
            time.sleep(0.1)
    worker.join(30)
    return result.get("rc", -1)


def _until(process: subprocess.Popen[str], pattern: str, seconds: float = 120.0) -> str:
    """Stderr of ``process`` up to the first line matching ``pattern``, within ``seconds``."""
    lines: queue.Queue[str] = queue.Queue()
    assert process.stderr is not None
    stream = process.stderr
    threading.Thread(target=lambda: [lines.put(line) for line in stream], daemon=True).start()
    seen: list[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            if process.poll() is not None and lines.empty():
                break
            continue
        seen.append(line)
        if re.search(pattern, line):
            return "".join(seen)
    raise AssertionError(f"never said {pattern!r}: {''.join(seen)[-2000:]}")


def _in_process_of_its_own(argv: list[str], folder: Path) -> int:
    """``run`` / ``serve``: started, watched until it works, stopped with Ctrl-C."""
    if "serve" in argv:
        port = _free_port()
        if "--port" in argv:
            argv[argv.index("--port") + 1] = str(port)
        else:
            argv += ["--port", str(port)]
    if "--metrics-port" in argv:
        argv[argv.index("--metrics-port") + 1] = str(_free_port())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "busywork", *argv],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if "serve" in argv:
            _until(process, r"answering on http://")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as reply:
                assert reply.status == 200
        else:
            # The start line: the business, what it polls and when (the store was polled
            # by the sandbox's scan, so the first cycle may be an hour away).
            _until(process, r"polls |record\(s\) in|action=started")
        # Ctrl-C, as both say they stop on.
        process.send_signal(signal.SIGINT)
        code = process.wait(timeout=60)
        # Stopped as documented: a clean 0, or 130 (interrupted) when Ctrl-C lands before
        # the server has installed its own handler.
        return 0 if code == 130 else code
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stderr is not None:
            process.stderr.close()


def _params() -> list[Any]:
    params = []
    for where, rest in DOCUMENTED:
        marks = []
        if any(mark in rest for mark in ("<", ">", "…", "...", "$", "`")):
            marks.append(pytest.mark.skip(reason=f"{where}: an illustration, not a runnable line"))
        words = rest.split()
        command = next((w for w in words if not w.startswith("-") and w != "INFO"), "")
        if command in SLOW or any(f"{name}.yaml" in rest for name in EXPORT_FOLDERS):
            marks.append(pytest.mark.slow)  # a whole export folder imported and scanned
        params.append(pytest.param(where, rest, marks=marks, id=where))
    return params


@pytest.mark.parametrize(("where", "rest"), _params())
def test_every_documented_command_runs(
    where: str,
    rest: str,
    sandbox: tuple[Path, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder, finding = sandbox
    for argv in _argv(rest, finding):
        command = _command(argv)
        if command == "init":
            (folder / "busywork.yaml").unlink()
        if command == "rotate-key":  # the documented step before: the new key first
            old = os.environ["BUSYWORK_SECRET_KEYS"]
            os.environ["BUSYWORK_SECRET_KEYS"] = f"{Fernet.generate_key().decode()},{old}"
        config = argv[argv.index("-c") + 1] if "-c" in argv else "busywork.yaml"
        if command == "scan" and not (folder / config).exists():  # the step before: init
            assert main(["init", Path(config).stem, "--yes", "-c", config]) == 0
        if "withdraw" in argv:  # the documented step before: a decision to withdraw
            assert main(["feedback", finding, "accept"]) == 0
        if command in ("run", "serve"):
            code = _in_process_of_its_own(argv, folder)
        elif command == "connect":
            code = _connect(argv, folder, capsys)
        else:
            code = main(argv)
        output = capsys.readouterr()
        assert code == 0, (
            f"{where}: `busywork {' '.join(argv)}` exited {code}:\n{output.err[-2000:]}"
        )
        if command == "init":
            shutil.copy(folder / config, folder / "init-wrote.yaml")
