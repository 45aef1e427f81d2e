"""Real servers for delivery tests: an SMTP server (aiosmtpd) and a webhook receiver."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from standardwebhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def self_signed(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost that is its own CA: (cert, key) files."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "busywork test")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps messages and can be told to refuse."""

    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[list[str]] = field(default_factory=list)
    rcpt_reply: str | None = None
    data_reply: str | None = None
    #: What the server's sessions raised (a refused TLS handshake ...): kept for the test
    #: to check, instead of logged from the server's thread, maybe after the test ended.
    errors: list[Exception] = field(default_factory=list)

    async def handle_exception(self, error: Exception) -> str:
        self.errors.append(error)
        return f"500 Error: ({type(error).__name__}) {error}"

    async def handle_RCPT(  # noqa: N802  (aiosmtpd's hook name)
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.data_reply:
            return self.data_reply
        content = envelope.content if isinstance(envelope.content, bytes) else b""
        self.messages.append(message_from_bytes(content, policy=default))
        self.envelopes.append(list(envelope.rcpt_tos))
        return "250 OK"


def authenticator(user: str, password: str) -> Any:
    def check(
        server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
    ) -> AuthResult:
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login.decode() == user
            and auth_data.password.decode() == password
        )
        return AuthResult(success=ok, handled=False)

    return check


@dataclass
class Received:
    """One request the receiver got."""

    webhook_id: str
    timestamp: str
    payload: dict[str, Any] | None
    verified: bool
    at: float


@dataclass
class Receiver:
    """A webhook receiver on 127.0.0.1 verifying each request with ``standardwebhooks``.

    ``script`` holds (status, headers, delay seconds) answers used in order; after that,
    every request gets 204. ``processed`` de-duplicates on ``webhook-id`` as the spec asks.
    """

    secret: str
    script: list[tuple[int, dict[str, str], float]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    processed: dict[str, dict[str, Any]] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/busywork"

    def start(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", 0)))
                headers = {key.lower(): value for key, value in self.headers.items()}
                try:
                    payload = Webhook(receiver.secret).verify(body, headers)
                    verified = True
                except WebhookVerificationError:
                    payload, verified = None, False
                with receiver.lock:
                    receiver.received.append(
                        Received(
                            headers.get("webhook-id", ""),
                            headers.get("webhook-timestamp", ""),
                            payload,
                            verified,
                            time.monotonic(),
                        )
                    )
                    status, extra, delay = (
                        receiver.script.pop(0) if receiver.script else (204, {}, 0.0)
                    )
                if delay:
                    time.sleep(delay)
                if verified and 200 <= status < 300:
                    with receiver.lock:
                        receiver.processed.setdefault(headers["webhook-id"], payload or {})
                try:
                    self.send_response(status)
                    for key, value in extra.items():
                        self.send_header(key, value)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the sender gave up waiting (timeout tests)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        # A short poll interval: stop() waits for the serving loop's next look at its flag.
        threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


def recommendation(finding_id: str, *, score: float = 50.0, rank: int | None = 1) -> dict[str, Any]:
    """A recommendation object shaped like the contract's."""
    return {
        "id": finding_id,
        "kind": "recurring_invoice",
        "category": "repetitive_task",
        "title": f"Ashford Florist & Co is invoiced by hand every month ({finding_id})",
        "summary": "17 invoices to Ashford Florist & Co were created by hand.",
        "suggested_automation": "Set up a recurring invoice template for Ashford Florist & Co.",
        "subject": {"type": "customer", "id": "C0020", "name": "Ashford Florist & Co"},
        "sources": ["exports"],
        "evidence": {
            "record_ids": ["INV-01029", "INV-01781", "INV-02331"],
            "count": 17,
            "period": {"start": "2025-06-16", "end": "2026-10-15"},
            "metrics": {"cadence_days": 30.44},
        },
        "impact": {"hours_saved_per_month": 3.4, "cash_impact": 12.5, "currency": "GBP"},
        "goals": [{"goal": "time", "weight": 2.0, "contribution": score}],
        "aligned": True,
        "score": score,
        "rank": rank,
        "confidence": 0.915,
        "explanation": "Serves 'Less admin for the owner' (3.4 admin hours a month).",
    }


def payload(*recs: dict[str, Any], kind: str = "recommendation.digest") -> dict[str, Any]:
    return {
        "type": kind,
        "timestamp": "2026-11-23T08:00:00+00:00",
        "data": {
            "business": "shop",
            "business_name": "Heron <Physio> Ltd",
            "currency": "GBP",
            "recommendations": list(recs),
        },
    }


def as_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True)
