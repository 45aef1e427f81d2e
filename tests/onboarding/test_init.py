"""``busywork init`` on export folders shaped like Xero's, QuickBooks Online's and Shopify's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml

from busywork.cli import EXIT_CONFIG, main
from config.loader import load_config
from tests.onboarding import vendor_exports

Shape = Callable[[Path, dict[str, pd.DataFrame]], Path]


@pytest.fixture(scope="module")
def frames() -> dict[str, pd.DataFrame]:
    """A small synthetic business: its first 120 invoices, their lines and payments."""
    full = vendor_exports.business()
    invoices = full["invoices"].head(120)
    ids = set(invoices["source_id"])
    return {
        **full,
        "invoices": invoices,
        "invoice_lines": full["invoice_lines"][full["invoice_lines"]["invoice_id"].isin(ids)],
        "payments": full["payments"][full["payments"]["invoice_id"].isin(ids)],
        "customers": full["customers"].head(200),
        "bills": full["bills"].head(40),
        "journal_entries": full["journal_entries"].head(30),
    }


def _init(folder: Path, config: Path, *extra: str) -> int:
    return main(["init", str(folder), "--yes", "-c", str(config), *extra])


def test_xero_folder(
    tmp_path: Path, frames: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = vendor_exports.xero(tmp_path / "xero", frames)
    config = tmp_path / "busywork.yaml"
    assert _init(folder, config) == 0
    out = capsys.readouterr().out
    assert "Contacts.csv: customers; encoding cp1252 detected" in out
    assert "Sales Invoices.csv: invoices; one row per line, grouped by InvoiceNumber" in out
    assert "Sales Invoices.csv: invoice lines; from the same file, by InvoiceNumber" in out
    # One credit note, dated 03/02/2026: ambiguous alone, day first as the other files say.
    assert (
        "Credit Notes.csv: credit notes; read as invoices of type credit_note, amounts negative;"
        " dates %d/%m/%Y: ambiguous (03/02/2026); as the other files'" in out
    )
    assert "Credit Notes.csv (credit_notes): 1 read, 1 kept" in out
    assert "Currency: GBP (inferred:" in out
    assert "Sales Invoices.csv (invoices): 120 read, 120 kept" in out
    assert "Zoë Brontë" in out  # the cp1252 contacts are previewed ungarbled
    loaded = load_config(config)
    invoices = loaded.connectors[0].files["invoices"]  # type: ignore[attr-defined]
    assert invoices.date_format == "%d/%m/%Y"
    assert invoices.values["status"]["Paid"] == "paid"
    assert [goal.objective for goal in loaded.goals] == ["cash_flow", "owner_time", "revenue"]
    assert main(["check-config", "-c", str(config)]) == 0
    assert "Credit Notes.csv (credit_notes)" in capsys.readouterr().out


def test_quickbooks_folder(
    tmp_path: Path, frames: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = vendor_exports.quickbooks(tmp_path / "qbo", frames)
    config = tmp_path / "busywork.yaml"
    assert _init(folder, config) == 0
    out = capsys.readouterr().out
    assert "Invoice List.csv: invoices; dates %m/%d/%Y; 4 title line(s) above the header" in out
    assert "Journal.csv: journal entries; one row per line, grouped by Num" in out
    assert "Received Payments.csv: payments" in out
    assert "Journal.csv (journal_entries): 30 read, 30 kept" in out
    text = config.read_text()
    assert "thousands: ','" in text
    assert "skip_rows: 4" in text
    assert main(["check-config", "-c", str(config)]) == 0


def test_shopify_folder(
    tmp_path: Path, frames: dict[str, pd.DataFrame], capsys: pytest.CaptureFixture[str]
) -> None:
    folder = vendor_exports.shopify(tmp_path / "shop", frames)
    config = tmp_path / "busywork.yaml"
    assert _init(folder, config, "--name", "Harbour Physio Shop") == 0
    out = capsys.readouterr().out
    assert "orders_export_1.csv: invoices; one row per line, grouped by Name" in out
    assert "times carry their UTC offset; set --timezone" in out
    assert "customers_export.csv (customers): 200 read, 200 kept" in out
    assert "Currency: EUR" in out
    written = yaml.safe_load(config.read_text())
    assert written["business"]["id"] == "harbour-physio-shop"
    orders = written["connectors"][0]["files"]["invoices"]
    assert orders["columns"]["Financial Status"] == "status"
    assert main(["check-config", "-c", str(config)]) == 0  # every order row is kept
    assert written["connectors"][0]["files"]["customers"]["combine"] == {
        "name": {"join": ["First Name", "Last Name"]}
    }


AMBIGUOUS = (
    "Invoice No,Customer,Date,Total,Currency\nI-1,Ann,01/02/2026,10,{c}\nI-2,Bob,03/04/2026,5,{c}\n"
)


@pytest.mark.parametrize(
    ("currency", "expected", "why"),
    [("GBP", "%d/%m/%Y", "day first"), ("USD", "%m/%d/%Y", "month first, as usual for USD")],
)
def test_ambiguous_dates_with_yes_take_the_likelier_and_say_so(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    currency: str,
    expected: str,
    why: str,
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "invoices.csv").write_text(AMBIGUOUS.format(c=currency))
    assert _init(tmp_path / "exports", tmp_path / "busywork.yaml") == 0
    out = capsys.readouterr().out
    assert f"dates {expected}: ambiguous (01/02/2026); chose {why}" in out


def test_ambiguous_dates_are_asked_without_yes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "invoices.csv").write_text(AMBIGUOUS.format(c="GBP"))
    answers = iter(["m", "y"])
    questions: list[str] = []

    def ask(question: str) -> str:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr("builtins.input", ask)
    config = tmp_path / "busywork.yaml"
    assert main(["init", str(tmp_path / "exports"), "-c", str(config)]) == 0
    assert questions[0] == "invoices.csv: is 01/02/2026 day/month (d) or month/day (m)? [d/m] "
    assert "date_format: '%m/%d/%Y'" in config.read_text()


def test_an_ambiguous_file_takes_the_format_the_folders_other_files_settle(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Pounds would make day first the likelier guess; the bills (.../13/... cannot be a
    # month) say the tool writes month first.
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "invoices.csv").write_text(AMBIGUOUS.format(c="GBP"))
    (tmp_path / "exports" / "bills.csv").write_text(
        "Bill No,Supplier,Date,Amount,Currency\nB-1,Gas Co,01/13/2026,80.00,GBP\n"
    )
    config = tmp_path / "busywork.yaml"
    assert _init(tmp_path / "exports", config) == 0
    out = capsys.readouterr().out
    assert (
        "invoices.csv: invoices; dates %m/%d/%Y: ambiguous (01/02/2026); as the other files'" in out
    )
    assert load_config(config).connectors[0].files["invoices"].date_format == "%m/%d/%Y"  # type: ignore[attr-defined]


def test_no_currency_anywhere_is_asked_for_not_guessed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "customers.csv").write_text("Name,Email\nAnn,ann@example.com\n")
    assert _init(tmp_path / "exports", tmp_path / "busywork.yaml") == EXIT_CONFIG
    assert "give the currency of your books with --currency" in capsys.readouterr().err
    assert _init(tmp_path / "exports", tmp_path / "busywork.yaml", "--currency", "gbp") == 0
    assert "currency: GBP" in (tmp_path / "busywork.yaml").read_text()


def test_two_configs_in_one_folder_keep_their_records_apart(
    tmp_path: Path, frames: dict[str, pd.DataFrame]
) -> None:
    xero = vendor_exports.xero(tmp_path / "xero", frames)
    shop = vendor_exports.shopify(tmp_path / "shop", frames)
    assert _init(xero, tmp_path / "xero.yaml") == 0
    assert _init(shop, tmp_path / "shop.yaml") == 0
    stores = {load_config(tmp_path / name).storage.url for name in ("xero.yaml", "shop.yaml")}
    assert stores == {f"sqlite:///{tmp_path / 'xero.db'}", f"sqlite:///{tmp_path / 'shop.db'}"}


def test_an_existing_config_is_not_overwritten(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "busywork.yaml").write_text("mine\n")
    assert _init(tmp_path / "exports", tmp_path / "busywork.yaml") == EXIT_CONFIG
    assert "exists already; add --force" in capsys.readouterr().err
    assert (tmp_path / "busywork.yaml").read_text() == "mine\n"


@pytest.mark.slow
@pytest.mark.parametrize(
    "shape", [vendor_exports.xero, vendor_exports.quickbooks, vendor_exports.shopify]
)
def test_init_then_scan_gives_a_report_with_findings(
    tmp_path: Path, shape: Shape, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = shape(tmp_path / "exports", vendor_exports.business())
    config = tmp_path / "busywork.yaml"
    assert _init(folder, config) == 0
    assert main(["scan", "-c", str(config), "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "Recommendations for" in out
    assert (tmp_path / "report" / "report.html").is_file()


def test_a_credit_note_file_lacking_an_invoices_columns_is_left_out_and_says_which(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "exports").mkdir()
    (tmp_path / "exports" / "invoices.csv").write_text(AMBIGUOUS.format(c="GBP"))
    (tmp_path / "exports" / "Credit Notes.csv").write_text(
        "ContactName,Total,Type\nAnn,10.00,Sales credit note\n"
    )
    assert _init(tmp_path / "exports", tmp_path / "busywork.yaml") == 0
    out = capsys.readouterr().out
    assert (
        "Credit Notes.csv: not used: credit notes, but nothing reads as issued_on, source_id:"
        " map the file by hand" in out
    )
    assert "credit_notes" not in load_config(tmp_path / "busywork.yaml").connectors[0].files  # type: ignore[attr-defined]
