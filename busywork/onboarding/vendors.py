"""Connector blocks ``busywork init --from`` writes for vendor names, and the next steps.

One entry per vendor a user may name (``quickbooks``, ``xero``, ``stripe``, ``google`` …):
the connector's name and type, its settings with a comment each, secrets as ``${ENV}``
references, and how to finish (``busywork connect NAME`` for OAuth, an environment
variable for a key). A test loads every block through the config schema.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from busywork.errors import ConfigError

#: The secret-encryption key OAuth tokens are stored under (see docs/configuration.md).
KEYS_ENV = "BUSYWORK_SECRET_KEYS"


@dataclass(frozen=True)
class Vendor:
    """What to write for one vendor.

    Attributes:
        name: The connector's name in the config (the records' source).
        type: The connector type (a key of the connector registry).
        title: The vendor as people call it.
        settings: (key, value, comment) per line; values with ``${…}`` are secrets.
        oauth: Whether ``busywork connect`` must authorise it once.
        where: Where the user gets the credentials.
    """

    name: str
    type: str
    title: str
    settings: tuple[tuple[str, str, str], ...]
    oauth: bool
    where: str

    @property
    def variables(self) -> list[str]:
        """The environment variables the block refers to."""
        return [value[2:-1] for _, value, _ in self.settings if value.startswith("${")]


def _oauth_app(prefix: str, where: str) -> tuple[tuple[str, str, str], ...]:
    return (
        ("client_id", f"${{{prefix}_CLIENT_ID}}", f"your app's client id ({where})"),
        ("client_secret", f"${{{prefix}_CLIENT_SECRET}}", "its secret, from the environment"),
    )


VENDORS: dict[str, Vendor] = {
    "quickbooks": Vendor(
        "books-qbo",
        "quickbooks",
        "QuickBooks Online",
        (
            *_oauth_app("QUICKBOOKS", "developer.intuit.com, Keys & credentials"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=True,
        where="developer.intuit.com: create an app, add http://localhost:8765/callback",
    ),
    "xero": Vendor(
        "books-xero",
        "xero",
        "Xero",
        (
            *_oauth_app("XERO", "developer.xero.com, My Apps"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=True,
        where="developer.xero.com: create a web app, add http://localhost:8765/callback",
    ),
    "stripe": Vendor(
        "payments-stripe",
        "stripe",
        "Stripe",
        (
            ("api_key", "${STRIPE_API_KEY}", "a restricted read-only key (rk_live_…)"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=False,
        where="dashboard.stripe.com, Developers, API keys: a restricted key with read access",
    ),
    "google": Vendor(
        "calendar-google",
        "google_calendar",
        "Google Calendar",
        (
            *_oauth_app("GOOGLE", "console.cloud.google.com, Credentials"),
            ("calendar_id", "primary", "or the calendar's id"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=True,
        where="console.cloud.google.com: an OAuth client (web), Calendar API enabled",
    ),
    "microsoft": Vendor(
        "calendar-m365",
        "msgraph_calendar",
        "Microsoft 365 (Outlook calendar)",
        (
            *_oauth_app("MSGRAPH", "entra.microsoft.com, App registrations"),
            ("tenant", "common", "your Entra tenant id or domain"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=True,
        where="entra.microsoft.com: register an app with Calendars.Read",
    ),
    "calendly": Vendor(
        "bookings-calendly",
        "calendly",
        "Calendly",
        (
            ("token", "${CALENDLY_TOKEN}", "a personal access token"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=False,
        where="calendly.com, Integrations, API & Webhooks: a personal access token",
    ),
    "caldav": Vendor(
        "calendar-caldav",
        "caldav",
        "CalDAV (iCloud, Fastmail, Nextcloud …)",
        (
            ("url", "${CALDAV_URL}", "the server's CalDAV URL"),
            ("username", "${CALDAV_USERNAME}", "your login"),
            ("password", "${CALDAV_PASSWORD}", "an app password"),
            ("interval", "15m", "how often to poll"),
        ),
        oauth=False,
        where="your calendar provider: the CalDAV URL and an app password",
    ),
}
#: Other names people use for the same vendors.
ALIASES = {
    "qbo": "quickbooks",
    "intuit": "quickbooks",
    "google_calendar": "google",
    "gcal": "google",
    "outlook": "microsoft",
    "office365": "microsoft",
    "m365": "microsoft",
    "msgraph": "microsoft",
    "msgraph_calendar": "microsoft",
    "icloud": "caldav",
    "fastmail": "caldav",
    "nextcloud": "caldav",
}


def vendors(names: str) -> list[Vendor]:
    """The vendors a comma-separated list names, in its order, each once.

    Raises:
        ConfigError: a name is not a vendor Busywork reads; the message lists them.
    """
    chosen: list[Vendor] = []
    for raw in names.split(","):
        key = raw.strip().lower().replace("-", "_").replace(" ", "_")
        if not key:
            continue
        key = ALIASES.get(key, key)
        if key not in VENDORS:
            known = ", ".join(VENDORS)
            raise ConfigError(
                f"--from: {raw.strip()!r} is not a source Busywork reads; use {known}"
                " (or a folder of exports as DIR)"
            )
        if VENDORS[key] not in chosen:
            chosen.append(VENDORS[key])
    if not chosen:
        raise ConfigError(f"--from names no source; use {', '.join(VENDORS)}")
    return chosen


def connector_lines(chosen: Sequence[Vendor]) -> list[str]:
    """The YAML lines of the connectors list entries for ``chosen`` (indented for it)."""
    out: list[str] = []
    for vendor in chosen:
        out.append(f"  # {vendor.title}: {vendor.where}")
        out.append(f"  - name: {vendor.name}")
        out.append(f"    type: {vendor.type}")
        for key, value, comment in vendor.settings:
            out.append(f"    {f'{key}: {value}':<40} # {comment}")
    return out


def next_steps(chosen: Sequence[Vendor], config: str) -> list[str]:
    """What to do after ``init`` wrote the config: variables to set, connectors to authorise."""
    variables = [name for vendor in chosen for name in vendor.variables]
    oauth = [vendor for vendor in chosen if vendor.oauth]
    steps = []
    if variables:
        needed = variables + ([KEYS_ENV] if oauth else [])
        steps.append(f"set {', '.join(needed)} in the environment")
    if oauth:
        steps.append(
            f"{KEYS_ENV} encrypts the stored tokens; make one with: python -c"
            ' "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
        )
    for vendor in oauth:
        steps.append(
            f"busywork connect {vendor.name} -c {config}"
            "   # on a server: --refresh-token-stdin < token.txt"
        )
    return steps
