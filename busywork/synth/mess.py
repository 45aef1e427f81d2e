"""Profiles of real-world mess laid over a generated business, each with its decoys.

A clean generated business looks like our detectors expect. Real exports do not: a shop is
paid at checkout and exports no payments, credit notes sit among invoices, web orders come
in round the clock, one client is two customers in two systems. Each profile here rewrites
the frames the way such data looks and records in the truth file what must still be found,
what must *not* be reported (decoys, a subject id of ``"*"`` meaning any subject of that
kind), and what cannot be checked on this data at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from busywork.synth import mess_documents, mess_parties

Frames = dict[str, pd.DataFrame]
Truth = dict[str, Any]
Profile = Callable[[Frames, Truth, np.random.Generator], None]

#: Every profile, keyed by the name ``busywork eval --profiles`` takes.
PROFILES: dict[str, Profile] = {
    "checkout_shop": mess_documents.checkout_shop,
    "credit_notes": mess_documents.credit_notes,
    "web_shop": mess_documents.web_shop,
    "fees_adjustments": mess_documents.fees_adjustments,
    "calendly_mirror": mess_parties.calendly_mirror,
    "two_names": mess_parties.two_names,
    "currencies": mess_parties.currencies,
    "no_customer": mess_documents.no_customer,
    "latin1": mess_parties.latin1,
}


@dataclass(frozen=True)
class Messed:
    """Frames and truth after the profiles were applied."""

    frames: Frames
    truth: Truth


def parse_profiles(text: str) -> tuple[str, ...]:
    """Profile names from ``"a,b"``; ``"none"`` is no profile, ``"all"`` every one.

    Raises:
        ValueError: a name is not a profile; the message lists the valid ones.
    """
    if text.strip() in ("", "none"):
        return ()
    if text.strip() == "all":
        return tuple(PROFILES)
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [name for name in names if name not in PROFILES]
    if unknown:
        raise ValueError(
            f"profiles: unknown {', '.join(unknown)}; valid: all, none, {', '.join(PROFILES)}"
        )
    return names


def apply_profiles(frames: Frames, truth: Truth, names: tuple[str, ...], *, seed: int) -> Messed:
    """Copy ``frames`` and ``truth`` and lay each named profile over them, in order.

    Each profile draws from its own generator seeded by ``(seed, position)``, so a profile's
    mess does not move when another is added.
    """
    frames = {stem: frame.copy() for stem, frame in frames.items()}
    truth = {
        **truth,
        "planted": [dict(item) for item in truth["planted"]],
        "decoys": [dict(item) for item in truth["decoys"]],
        "uncheckable": list(truth.get("uncheckable", [])),
        "profiles": [*truth.get("profiles", []), *names],
    }
    for position, name in enumerate(names):
        PROFILES[name](frames, truth, np.random.default_rng([seed, 0x3E55, position]))
    truth["counts"] = {stem: len(frame) for stem, frame in frames.items()}
    return Messed(frames=frames, truth=truth)
