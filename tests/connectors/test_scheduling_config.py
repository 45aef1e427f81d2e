"""The scheduling connectors' YAML blocks in the example config are valid configuration."""

from __future__ import annotations

import re
from pathlib import Path

from config.loader import parse_config
from connectors.caldav_calendar import CaldavConfig
from connectors.calendly import CalendlyConfig
from tests.factories import MINIMAL_CONFIG

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "example.yaml"
ENV = {
    "CALDAV_PASSWORD": "caldav-app-password",
    "GOOGLE_CLIENT_ID": "google-client",
    "GOOGLE_CLIENT_SECRET": "google-secret-1234",
    "MS_CLIENT_ID": "ms-client",
    "MS_CLIENT_SECRET": "ms-secret-1234",
    "CALENDLY_TOKEN": "calendly-pat-1234",
}


def scheduling_blocks() -> str:
    """The commented ``- name:`` blocks of the scheduling section, uncommented."""
    text = EXAMPLE.read_text()
    section = text[
        text.index("# --- Calendars and booking tools") : text.index("# --- Accounting and")
    ]
    lines = [line[4:] for line in section.splitlines() if re.match(r"^  # (- |  [a-z])", line)]
    return "connectors:\n" + "\n".join(f"  {line}" for line in lines) + "\n"


def test_the_example_blocks_are_valid_config() -> None:
    config = parse_config(MINIMAL_CONFIG + scheduling_blocks(), source="ex.yaml", environ=ENV)
    assert [(c.name, c.type) for c in config.connectors] == [
        ("diary", "caldav"),
        ("gcal", "google_calendar"),
        ("outlook", "msgraph_calendar"),
        ("bookings", "calendly"),
    ]
    diary, _, _, bookings = config.connectors
    assert isinstance(diary, CaldavConfig)
    assert diary.calendars == ("Clinic",)
    assert isinstance(bookings, CalendlyConfig)
    assert bookings.token is not None
    assert bookings.token.get_secret_value() == "calendly-pat-1234"
