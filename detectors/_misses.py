"""Appointments a client could miss, and which of them they missed.

What :mod:`detectors.no_show_reminders` counts. The appointments with an outside attendee
(an e-mail or a name, not a colleague on the business's own domain) that started in a
trailing window are kept, a booking and its calendar copy once, except those the host
cancelled. A *miss* is a ``no_show`` or a cancellation by the invitee less than the late
notice before the start; a late cancellation that does not say by whom is *unattributed*
and never a miss.

The detector scores calendars and attendees on numbers alone: the rows are kept with their
attendee's key code, and the text a finding cites (ids, sources, e-mail, name) is read
only for the rows of the groups it reports (:meth:`Misses.rows`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from detectors import _distinct as ds
from detectors import _frames as fr
from detectors._attendees import Attendees, attendees
from detectors._mirrors import one_per_booking

#: Statuses and who cancelled, as :func:`detectors._distinct.lowered_in` compares them.
_CANCELLED = frozenset({"cancelled"})
_NO_SHOW = frozenset({"no_show"})
_INVITEE = frozenset({"invitee"})
_HOST = frozenset({"host"})


@dataclass(frozen=True)
class Misses:
    """The appointments a client could miss, with what happened to each."""

    #: One row per appointment kept: ``row`` (its position in :attr:`raw`), ``who_code``
    #: (:meth:`detectors._attendees.Attendees.key_codes`), ``calendar`` (text, "" when
    #: unknown), ``start``, ``hours`` (booked), ``no_show``, ``late_cancel``,
    #: ``unattributed`` and ``miss``.
    frame: pd.DataFrame
    #: The appointments in the window, one row per booking.
    raw: pd.DataFrame
    #: Their attendees, coded.
    who: Attendees

    def rows(self, chosen: np.ndarray[Any, np.dtype[np.bool_]]) -> pd.DataFrame:
        """The ``chosen`` rows of :attr:`frame` with the text a finding cites.

        Adds ``source_id``, ``source``, ``email`` (normalised) and ``name`` (as given).
        """
        rows = self.frame[chosen]
        part = self.raw.iloc[rows["row"].to_numpy()]
        return rows.assign(
            source_id=fr.as_text(part["source_id"]).set_axis(rows.index),
            source=fr.as_text(part["source"]).set_axis(rows.index),
            email=fr.normalise_email(part["attendee_email"]).set_axis(rows.index),
            name=fr.as_text(part["attendee_name"]).set_axis(rows.index),
        )


def client_appointments(
    raw: pd.DataFrame, now: pd.Timestamp, window: pd.Timedelta, late_cancel_hours: float
) -> Misses:
    """The appointments with a client that started in (``now`` - ``window``, ``now``].

    Args:
        raw: The appointment frame.
        now: The end of the window (naive UTC).
        window: Its length.
        late_cancel_hours: A cancellation by the invitee closer than this to the start is
            a miss.
    """
    loaded = raw
    raw = fr.in_window(raw, fr.as_datetimes(raw["start_at"]), now - window, now)
    raw = one_per_booking(raw)  # a booking and its calendar copy are one appointment
    start = fr.as_datetimes(raw["start_at"])
    end = fr.as_datetimes(raw["end_at"])
    cancelled = ds.lowered_in(raw["status"], _CANCELLED)
    notice = fr.to_days(start - fr.as_datetimes(raw["cancelled_at"])) * 24
    # A cancellation with no recorded time gives no notice to judge: not a miss.
    late = cancelled & (notice < late_cancel_hours).to_numpy()
    by_invitee = ds.lowered_in(raw["cancelled_by"], _INVITEE)
    by_host = cancelled & ds.lowered_in(raw["cancelled_by"], _HOST)
    who = attendees(raw, loaded)  # each attendee column cleaned once per pass
    no_show = ds.lowered_in(raw["status"], _NO_SHOW)
    late_cancel = late & by_invitee
    frame = pd.DataFrame(
        {
            "row": np.arange(len(raw)),
            "who_code": who.key_codes(),
            "calendar": fr.as_text(raw["calendar"]).fillna(""),
            "start": start,
            "hours": (fr.to_days(end - start) * 24).clip(lower=0.0),
            "no_show": no_show,
            "late_cancel": late_cancel,
            "unattributed": late & ~ds.lowered_in(raw["cancelled_by"], _INVITEE | _HOST),
            "miss": no_show | late_cancel,
        },
        index=raw.index,
        copy=False,
    )
    keep = (
        who.named()
        & ~who.colleagues(raw["calendar"])
        & ~by_host
        & (start <= now).to_numpy()
        & (start > now - window).to_numpy()
    )
    return Misses(frame[keep], raw, who)
