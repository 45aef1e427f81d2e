"""Colleagues are not clients: attendees on the business's own e-mail domain.

A 1:1 between the owner and a member of staff is an appointment with an attendee, but the
attendee is a colleague: their missed or cancelled 1:1s are not clients failing to turn up.
The business's own domains are those of its calendars' addresses (``jo@kestrel.co.uk``
makes ``kestrel.co.uk`` its own), except public free-mail domains: a sole trader whose
calendar is a Gmail address shares that domain with many of their clients.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr

#: Public mailbox providers: a domain that says nothing about whose staff someone is.
FREE_MAIL_DOMAINS = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "icloud.com", "me.com", "mac.com", "yahoo.com", "aol.com", "proton.me",
        "protonmail.com", "gmx.com", "gmx.net", "mail.com", "zoho.com", "yandex.com",
        "fastmail.com", "btinternet.com", "sky.com", "virginmedia.com", "talktalk.net",
    }
)  # fmt: skip
#: Providers with a domain per country (``hotmail.co.uk``, ``yahoo.fr``, ``outlook.de`` ...).
FREE_MAIL_FAMILIES = ("hotmail.", "yahoo.", "outlook.", "live.", "gmx.", "web.de", "orange.")


def email_domain(text: str) -> str | None:
    """The domain of an e-mail address, lower-case (``None`` without one)."""
    email = fr.clean_email(text)
    return None if email is None else clean_domain(email)


def clean_domain(email: str) -> str | None:
    """The domain of an address already cleaned (:func:`detectors._frames.clean_email`)."""
    domain = email.rpartition("@")[2].strip(".")
    return domain or None


def is_free_mail(domain: str) -> bool:
    """Whether ``domain`` belongs to a public mailbox provider."""
    return domain in FREE_MAIL_DOMAINS or domain.startswith(FREE_MAIL_FAMILIES)


def own_domains(calendars: pd.Series[Any]) -> frozenset[str]:
    """The business's own domains: its calendars' address domains, free mail excepted."""
    domains = ds.per_distinct(calendars, email_domain).dropna().unique()
    return frozenset(str(domain) for domain in domains if not is_free_mail(str(domain)))


def are_colleagues(emails: pd.Series[Any], calendars: pd.Series[Any]) -> pd.Series[bool]:
    """Per row: whether the attendee ``emails`` is on one of the business's own domains."""
    own = own_domains(calendars)
    domains = ds.per_distinct(emails, email_domain)
    return domains.isin(own).astype(bool) if own else pd.Series(False, index=emails.index)
