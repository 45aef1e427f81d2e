"""The planted opportunities and decoys follow the rules the detectors are written against."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from busywork.synth import GeneratorSettings, SyntheticBusiness, generate
from busywork.synth.names import NICKNAMES

SEEDS = (1, 2, 3, 4, 6, 8, 11, 17)
END = pd.Timestamp("2026-10-31")
#: Allowed gaps (days) between consecutive issues, and the gap when one period is skipped.
GAPS = {"weekly": (5, 9, 16), "monthly": (22, 37, 68), "quarterly": (84, 98, 190)}


@pytest.fixture(scope="module", params=SEEDS)
def business(request: pytest.FixtureRequest) -> SyntheticBusiness:
    return generate(GeneratorSettings(seed=request.param, scale=0.15))


def _entries(business: SyntheticBusiness, group: str, kind: str) -> list[dict[str, Any]]:
    return [entry for entry in business.truth[group] if entry["kind"] == kind]


def _customer_ids(entries: list[dict[str, Any]]) -> set[str]:
    return {e["subject"]["id"] for e in entries if e["subject"]["type"] == "customer"}


def _invoices_of(business: SyntheticBusiness, customer_id: str) -> pd.DataFrame:
    invoices = business.frames["invoices"]
    return invoices[invoices["customer_id"] == customer_id].sort_values("issued_on")


def _appointments_of(business: SyntheticBusiness, customer_id: str) -> pd.DataFrame:
    """Appointments that name the customer, by either spelling, whatever the email."""
    customer = business.frames["customers"].set_index("source_id").loc[customer_id]
    first, _, last = customer["name"].partition(" ")
    spellings = {customer["name"], f"{NICKNAMES.get(first, first)} {last}"}
    appointments = business.frames["appointments"]
    named = appointments["attendee_name"].isin(spellings)
    return appointments[named | (appointments["attendee_email"] == customer["email"])]


def test_counts_of_planted_and_decoys(business: SyntheticBusiness) -> None:
    for kind in ("recurring_invoice", "appointment_to_invoice"):
        planted = _entries(business, "planted", kind)
        assert 2 <= len(planted) <= 5, kind
        assert len({e["subject"]["id"] for e in planted}) == len(planted)
        assert _entries(business, "decoys", kind), kind
    decoy_ids = _customer_ids(business.truth["decoys"])
    assert not decoy_ids & _customer_ids(business.truth["planted"])


def test_subject_ids_exist(business: SyntheticBusiness) -> None:
    customers = business.frames["customers"].set_index("source_id")
    for entry in business.truth["planted"] + business.truth["decoys"]:
        subject = entry["subject"]
        assert set(subject) == {"type", "id", "name"}
        assert ("note" in entry) != ("why" in entry)
        if subject["type"] == "customer":
            assert customers.loc[subject["id"], "name"] == subject["name"]
        elif subject["type"] == "business":
            assert subject["id"] is None
            assert subject["name"] == business.truth["business"]["name"]
        elif subject["type"] == "vendor":
            vendors = business.frames["vendors"].set_index("source_id")
            assert vendors.loc[subject["id"], "name"] == subject["name"]
        elif subject["type"] == "account":
            signatures = set(business.frames["journal_entries"]["accounts"].str.lower())
            assert subject["id"] in signatures
        elif subject["type"] == "calendar":
            assert subject["id"] in set(business.frames["appointments"]["calendar"])
        else:
            assert subject["type"] == "attendee"
            assert subject["id"] not in set(customers["email"])
            assert subject["id"] in set(business.frames["appointments"]["attendee_email"])


def test_planted_recurring_customers_are_invoiced_by_hand_on_a_cadence(
    business: SyntheticBusiness,
) -> None:
    for entry in _entries(business, "planted", "recurring_invoice"):
        invoices = _invoices_of(business, entry["subject"]["id"])
        cadence = entry["note"].split()[0]
        assert len(invoices) >= 6
        assert set(invoices["origin"]) == {"manual"}
        assert invoices["template_id"].isna().all()
        lines = business.frames["invoice_lines"]
        assert lines[lines["invoice_id"].isin(invoices["source_id"])]["description"].nunique() == 1
        low, high, skip = GAPS[cadence]
        gaps = invoices["issued_on"].diff().dt.days.dropna()
        assert (gaps.between(low, high) | (gaps.between(high, skip))).all(), (cadence, gaps)
        assert (gaps > high).sum() <= 1
        assert (END - invoices["issued_on"].iloc[-1]).days <= skip
        totals = invoices["total"]
        assert totals.max() / totals.min() <= 1.105
        if cadence == "weekly":
            weekdays = invoices["issued_on"].dt.day_of_week
            assert (weekdays - weekdays.mode().iloc[0]).abs().max() <= 1
        assert (invoices["issued_on"].dt.day_of_week < 5).all()
        assert _appointments_of(business, entry["subject"]["id"]).empty


def test_automated_decoys_are_already_automated(business: SyntheticBusiness) -> None:
    decoys = _entries(business, "decoys", "recurring_invoice")
    templates = [e for e in decoys if "origin template" in e["why"]]
    assert templates
    for entry in decoys:
        invoices = _invoices_of(business, entry["subject"]["id"])
        if "origin template" in entry["why"]:
            assert set(invoices["origin"]) == {"template"}
            assert invoices["template_id"].notna().all()
            assert len(invoices) >= 6
        elif "origin subscription" in entry["why"]:
            assert set(invoices["origin"]) == {"subscription"}
            assert len(invoices) >= 6


def test_irregular_decoys_are_manual_and_irregular(business: SyntheticBusiness) -> None:
    irregular = [
        e for e in _entries(business, "decoys", "recurring_invoice") if "irregular" in e["why"]
    ]
    assert irregular
    for entry in irregular:
        invoices = _invoices_of(business, entry["subject"]["id"])
        assert set(invoices["origin"]) == {"manual"}
        gaps = invoices["issued_on"].diff().dt.days.dropna()
        assert gaps.between(10, 90).all()
        totals = invoices["total"]
        assert totals.max() / totals.min() > 1.4
        assert totals.std() / totals.mean() > 0.4


def test_background_customers_never_look_recurring(business: SyntheticBusiness) -> None:
    special = _customer_ids(business.truth["planted"]) | _customer_ids(business.truth["decoys"])
    invoices = business.frames["invoices"]
    others = invoices[~invoices["customer_id"].isin(special)]
    assert others["customer_id"].value_counts().max() <= 3


def test_planted_appointment_customers_are_invoiced_after_each_session(
    business: SyntheticBusiness,
) -> None:
    planted = _entries(business, "planted", "appointment_to_invoice")
    customers = business.frames["customers"].set_index("source_id")
    emails_seen: set[str] = set()
    blank_emails = 0
    for entry in planted:
        customer_id = entry["subject"]["id"]
        appointments = _appointments_of(business, customer_id)
        invoices = _invoices_of(business, customer_id)
        assert len(appointments) >= 6
        assert set(appointments["origin"]) == {"manual"}
        assert set(invoices["origin"]) == {"manual"}
        primary = customers.loc[customer_id, "email"]
        emails_seen |= set(appointments["attendee_email"].dropna()) - {primary}
        blank_emails += int(appointments["attendee_email"].isna().sum())
        confirmed = appointments[appointments["status"] == "confirmed"]
        unbilled = []
        for _, session in confirmed.iterrows():
            day = session["end_at"].normalize()
            lag = (invoices["issued_on"] - day).dt.days
            match = invoices[
                lag.between(1, 7)
                & invoices["description"].str.contains(day.strftime("%Y-%m-%d"), regex=False)
            ]
            assert len(match) <= 1
            if match.empty:
                unbilled.append(session["source_id"])
        assert 1 <= len(unbilled) <= 2
        assert len(invoices) == len(confirmed) - len(unbilled)
        for appointment_id in unbilled:
            assert appointment_id in entry["note"]
    # Across customers, invites come from a second address and some carry only a name.
    assert emails_seen
    assert blank_emails >= 2


def test_appointment_customers_are_not_recurring_customers(business: SyntheticBusiness) -> None:
    recurring = _customer_ids(_entries(business, "planted", "recurring_invoice"))
    sessions = _customer_ids(_entries(business, "planted", "appointment_to_invoice"))
    assert not recurring & sessions


def test_integration_decoys_are_invoiced_the_same_day(business: SyntheticBusiness) -> None:
    decoys = [
        e
        for e in _entries(business, "decoys", "appointment_to_invoice")
        if e["subject"]["type"] == "customer"
    ]
    assert decoys
    for entry in decoys:
        appointments = _appointments_of(business, entry["subject"]["id"])
        invoices = _invoices_of(business, entry["subject"]["id"])
        confirmed = appointments[appointments["status"] == "confirmed"]
        assert len(appointments) >= 6
        assert set(invoices["origin"]) == {"integration"}
        assert sorted(invoices["issued_on"]) == sorted(confirmed["end_at"].dt.normalize())


def test_internal_attendee_decoy_is_staff_and_never_invoiced(business: SyntheticBusiness) -> None:
    internal = [
        e
        for e in _entries(business, "decoys", "appointment_to_invoice")
        if e["subject"]["type"] == "attendee"
    ]
    assert internal
    appointments = business.frames["appointments"]
    staff_domains = set(appointments["calendar"].str.split("@").str[1])
    for entry in internal:
        email = entry["subject"]["id"]
        assert email.split("@")[1] in staff_domains
        assert (appointments["attendee_email"] == email).sum() >= 20
        assert email not in set(business.frames["invoices"]["customer_email"])


def _collection(business: SyntheticBusiness) -> tuple[float, pd.Series]:
    """Countback DSO over the last 180 days, and days late of invoices paid in that time."""
    invoices = business.frames["invoices"]
    invoices = invoices[(invoices["currency"] == "GBP") & (invoices["status"] != "void")]
    # Planted late payers (and their decoy) are late on purpose, whatever the business does.
    payers = _customer_ids(
        _entries(business, "planted", "payment_reminders")
        + _entries(business, "decoys", "payment_reminders")
    )
    invoices = invoices[~invoices["customer_id"].isin(payers)]
    recent = invoices[invoices["issued_on"] > END - pd.Timedelta(days=180)]
    receivable = invoices.loc[invoices["status"] == "open", "balance"].sum()
    dso = receivable / recent["total"].sum() * 180
    paid = invoices[
        (invoices["status"] == "paid") & (invoices["paid_at"] > END - pd.Timedelta(days=180))
    ]
    late = (paid["paid_at"].dt.normalize() - paid["due_on"]).dt.days
    return float(dso), late


def test_slow_collection_is_planted_exactly_when_customers_pay_late(
    business: SyntheticBusiness,
) -> None:
    planted = _entries(business, "planted", "slow_collection")
    dso, late = _collection(business)
    if business.truth["seed"] == 1:
        assert planted
    assert not _entries(business, "decoys", "slow_collection")
    if planted:
        assert planted[0]["subject"]["type"] == "business"
        assert dso > 60
        assert 20 <= late.median() <= 70
        assert late.max() <= 70
    else:
        assert dso < 40
        assert late.between(0, 5).mean() >= 0.9
        assert late.between(0, 10).all()


def test_slow_collection_is_planted_in_about_sixty_percent_of_seeds() -> None:
    share = np.mean(
        [
            any(
                e["kind"] == "slow_collection"
                for e in generate(GeneratorSettings(seed=seed, scale=0.0)).truth["planted"]
            )
            for seed in range(1, 41)
        ]
    )
    assert 0.4 <= share <= 0.8


def test_late_payers_are_planted_only_where_collection_is_otherwise_quick(
    business: SyntheticBusiness,
) -> None:
    planted = _entries(business, "planted", "payment_reminders")
    if _entries(business, "planted", "slow_collection"):
        assert not planted
    invoices = business.frames["invoices"]
    for entry in planted:
        own = invoices[(invoices["customer_id"] == entry["subject"]["id"])]
        paid = own[own["status"] == "paid"]
        late = (paid["paid_at"].dt.normalize() - paid["due_on"]).dt.days
        assert (late >= 25).mean() >= 0.6
        assert set(own["origin"]) == {"manual"}
    for entry in _entries(business, "decoys", "payment_reminders"):
        own = invoices[(invoices["customer_id"] == entry["subject"]["id"])]
        assert "manual" not in set(own["origin"])


def test_catalogue_kinds_vary_across_seeds() -> None:
    kinds = [
        {e["kind"] for e in generate(GeneratorSettings(seed=seed, scale=0.0)).truth["planted"]}
        for seed in range(1, 13)
    ]
    for kind in ("duplicate_entry", "manual_scheduling", "approval_backlog", "month_end_crunch"):
        share = sum(kind in planted for planted in kinds) / len(kinds)
        assert 0.2 <= share <= 0.9, kind
    assert all({"recurring_bill", "recurring_journal_entry"} <= planted for planted in kinds)


def _recent_client_sessions(business: SyntheticBusiness, calendar: str) -> pd.DataFrame:
    appointments = business.frames["appointments"]
    recent = appointments["start_at"] >= END - pd.Timedelta(days=175)
    mine = (appointments["calendar"] == calendar) & appointments["attendee_email"].notna()
    return appointments[recent & mine]


def test_no_show_calendars_miss_two_in_five_whoever_booked_and_the_decoy_is_the_hosts(
    business: SyntheticBusiness,
) -> None:
    for entry in _entries(business, "planted", "no_show_reminders"):
        sessions = _recent_client_sessions(business, entry["subject"]["id"])
        assert (sessions["status"] == "no_show").mean() >= 0.3
        # Booking-link sessions are missed too: a booking link sends no reminders by itself.
        linked = sessions[sessions["origin"] == "booking_link"]
        if len(linked) >= 20:
            assert (linked["status"] == "no_show").mean() >= 0.2
    decoys = _entries(business, "decoys", "no_show_reminders")
    planted = _entries(business, "planted", "no_show_reminders")
    assert len(decoys) <= len(planted)
    for entry in decoys:
        sessions = _recent_client_sessions(business, entry["subject"]["id"])
        by_host = sessions[sessions["cancelled_by"] == "host"]
        assert len(by_host) >= 0.3 * len(sessions)
        notice = by_host["start_at"] - by_host["cancelled_at"]
        assert (notice < pd.Timedelta(hours=24)).all()
        assert (by_host["status"] == "cancelled").all()
