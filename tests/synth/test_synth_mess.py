"""Each mess profile changes the data the way it says and writes its decoys into the truth."""

from __future__ import annotations

from pathlib import Path

import pytest

from busywork.evaluate import is_decoy, make_business, settings_for
from busywork.synth import SyntheticBusiness, generate
from busywork.synth.mess import PROFILES, apply_profiles, parse_profiles


@pytest.fixture(scope="module")
def clean() -> SyntheticBusiness:
    return generate(settings_for(4, scale=0.05))


def test_profile_names_parse_and_unknown_ones_list_the_valid() -> None:
    assert parse_profiles("none") == ()
    assert parse_profiles("all") == tuple(PROFILES)
    with pytest.raises(ValueError, match="checkout_shop"):
        parse_profiles("checkout, web_shop")


def test_checkout_shop_has_no_payment_data_and_forbids_payment_findings(
    clean: SyntheticBusiness,
) -> None:
    messed = apply_profiles(clean.frames, clean.truth, ("checkout_shop",), seed=4)
    invoices = messed.frames["invoices"]
    assert invoices["paid_at"].isna().all()
    assert invoices["status"].isna().all()
    assert messed.frames["payments"]["invoice_id"].isna().all()
    decoys = frozenset((d["kind"], d["subject"]["id"]) for d in messed.truth["decoys"])
    assert is_decoy(("payment_reminders", "C0001"), decoys)
    assert ("slow_collection", None) in decoys
    assert {u["kind"] for u in messed.truth["uncheckable"]} == {
        "slow_collection",
        "payment_reminders",
    }
    assert not [p for p in messed.truth["planted"] if p["kind"] == "slow_collection"]
    assert clean.frames["invoices"]["paid_at"].notna().any()  # the input is left alone


def test_credit_notes_are_negative_and_cancel_an_invoice_of_the_same_customer(
    clean: SyntheticBusiness,
) -> None:
    messed = apply_profiles(clean.frames, clean.truth, ("credit_notes",), seed=4)
    invoices = messed.frames["invoices"]
    notes = invoices[invoices["source_id"].str.startswith("CN-")]
    assert (notes["total"] < 0).all()
    assert len(notes) >= 9
    first = notes.iloc[0]
    cancelled = invoices[invoices["number"] == first["description"].rsplit(" ", 1)[-1]]
    assert cancelled["customer_id"].tolist() == [first["customer_id"]]
    assert cancelled["total"].iloc[0] == -first["total"]
    kinds = {d["kind"] for d in messed.truth["decoys"][len(clean.truth["decoys"]) :]}
    assert kinds == {"duplicate_entry", "recurring_invoice"}


def test_web_orders_come_round_the_clock_with_order_numbers_and_many_lines(
    clean: SyntheticBusiness,
) -> None:
    messed = apply_profiles(clean.frames, clean.truth, ("web_shop",), seed=4)
    invoices = messed.frames["invoices"]
    web = invoices[invoices["source_id"].str.startswith("WEB-")]
    assert web["number"].str.match(r"^#\d{6}$").all()
    assert web["origin"].isna().all()
    assert web["created_at"].dt.hour.nunique() >= 18
    lines = messed.frames["invoice_lines"]
    per_order = lines[lines["invoice_id"].isin(web["source_id"])].groupby("invoice_id").size()
    assert per_order.min() >= 3
    assert per_order.max() >= 8


def test_two_names_keeps_the_finding_under_an_alias(clean: SyntheticBusiness) -> None:
    messed = apply_profiles(clean.frames, clean.truth, ("two_names",), seed=4)
    aliased = [p for p in messed.truth["planted"] if p["subject"].get("aliases")]
    assert aliased
    alias = aliased[0]["subject"]["aliases"][0]
    names = messed.frames["invoices"].groupby("customer_id")["customer_name"].first()
    assert names[alias] != names[aliased[0]["subject"]["id"]]


def test_latin1_files_are_written_and_read_back_in_latin1(tmp_path: Path) -> None:
    business = make_business(4, scale=0.05, profiles=("latin1",))
    business.write(tmp_path)
    raw = (tmp_path / "customers.csv").read_bytes()
    assert "Zoë Brontë".encode("latin-1") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
