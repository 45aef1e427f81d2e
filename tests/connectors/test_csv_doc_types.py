"""CSV invoices get a document type from rules by number, description and sign."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from busywork.errors import ConfigError
from config.loader import parse_config
from connectors.base import ConnectorContext
from connectors.csv_export import CsvConfig, CsvConnector
from connectors.sync import sync_connector

CONTEXT = ConnectorContext(business="shop", timezone="Europe/London", currency="GBP")
# Shaped after the UCI Online Retail export: orders, a cancellation, fees, a write-off.
INVOICES = """\
source_id,number,customer_id,issued_on,total,currency,status,description
536365,536365,17850,2010-12-01,139.12,GBP,paid,
C536379,C536379,14527,2010-12-01,-27.50,GBP,paid,Discount
C536383,C536383,15311,2010-12-01,4.65,GBP,paid,
537632,537632,,2010-12-07,0.00,GBP,paid,
A563185,A563185,,2011-08-12,11062.06,GBP,paid,Adjust bad debt
539736,539736,,2010-12-21,15.00,GBP,paid,Bank Charges
540000,540000,12347,2011-01-04,80.00,GBP,paid,
"""


def _sync(engine: Engine, folder: Path, **options: object) -> list[tuple[object, ...]]:
    connector = CsvConnector(CsvConfig(name="shop", path=folder, **options), CONTEXT)
    result = sync_connector(engine, connector)
    assert result.ok, result.problems
    with engine.connect() as connection:
        query = sa.text("SELECT source_id, doc_type FROM invoice ORDER BY source_id")
        return [tuple(row) for row in connection.execute(query)]


def test_default_rules_classify_cancellations_fees_write_offs_and_zero_totals(
    engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "invoices.csv").write_text(INVOICES)
    assert dict(_sync(engine, tmp_path)) == {
        "536365": "invoice",
        "540000": "invoice",
        "C536379": "credit_note",  # by number (and by sign)
        "C536383": "credit_note",  # by number although its total is positive
        "537632": "zero",
        "A563185": "adjustment",
        "539736": "fee",
    }


def test_a_type_in_the_file_wins_and_yaml_rules_replace_the_defaults(
    engine: Engine, tmp_path: Path
) -> None:
    text = INVOICES.replace(",description\n", ",description,kind\n", 1)
    text = "\n".join(
        line + ("," if n else "") for n, line in enumerate(text.splitlines())
    ).replace("540000,540000,12347,2011-01-04,80.00,GBP,paid,,", "540000,540000,12347,"
              "2011-01-04,80.00,GBP,paid,,refund")  # fmt: skip
    (tmp_path / "invoices.csv").write_text(text + "\n")
    config = parse_config(
        f"""\
business: {{id: shop, name: Shop, currency: GBP}}
connectors:
  - name: shop
    type: csv
    path: {tmp_path}
    columns: {{invoices: {{kind: doc_type}}}}
    doc_types:
      by_sign: false
      rules:
        - {{description: '(?i)bank charges', type: fee}}
"""
    )
    (settings,) = config.connectors
    assert isinstance(settings, CsvConfig)
    stored = dict(_sync(engine, tmp_path, files=settings.files, doc_types=settings.doc_types))
    assert stored["540000"] == "refund"  # the file's own type
    assert stored["539736"] == "fee"  # the YAML rule
    # No number rule and no sign rule any more: the rest are sales as far as we are told.
    assert stored["C536379"] == "invoice"
    assert stored["A563185"] == "invoice"


def test_bad_rules_are_config_errors_with_their_place() -> None:
    text = """\
business: {id: shop, name: Shop, currency: GBP}
connectors:
  - name: shop
    type: csv
    path: .
    doc_types:
      rules:
        - {number: '^C(', type: credit_note}
        - {description: 'fee', type: charge}
        - {type: fee}
        - {number: '^R', type: refund, amount: 3}
"""
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="shop.yaml")
    problems = "\n".join(caught.value.problems)
    assert "connectors[0].doc_types.rules[0].number: " in problems
    assert "is not a regular expression" in problems
    assert "connectors[0].doc_types.rules[1].type: " in problems
    assert "'charge' is not a document type" in problems
    assert "connectors[0].doc_types.rules[2]: " in problems
    assert "a rule needs a number or a description pattern" in problems
    assert "connectors[0].doc_types.rules[3].amount: unknown key" in problems
