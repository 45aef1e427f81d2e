"""Contract tests: our fakes and our requests checked against the vendors' own artefacts.

The artefacts live in the ``shared/vendor`` folder beside the repository (never copied into
it); each test skips with the reason when its artefact is absent.
"""

from __future__ import annotations

import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import pytest
import responses
import yaml
from pydantic import SecretStr

from busywork.store.records import RecordKind
from connectors.base import ConnectorContext
from connectors.http import RetryPolicy, TokenBucket
from connectors.quickbooks import ENTITIES
from connectors.rest import Rows
from connectors.stripe import StripeConfig, StripeConnector
from connectors.stripe_mapping import map_customer, map_invoice
from connectors.xero_mapping import (
    journal_mapper,
    map_contact,
    map_payment,
    map_repeating_invoice,
)
from connectors.xero_mapping import map_invoice as map_xero_invoice
from tests.connectors import fake_quickbooks, fake_stripe, fake_xero

VENDOR = Path(__file__).resolve().parents[2] / ".." / "shared" / "vendor"
STRIPE_SPEC = VENDOR / "stripe" / "spec3.subset.unexpanded.invoices-charges-events.2023-08-16.json"
STRIPE_FIXTURES = VENDOR / "stripe" / "fixtures3.2023-08-16.json"
XERO_SPEC = VENDOR / "xero" / "xero_accounting.yaml"
XERO_EXAMPLES = VENDOR / "xero" / "examples"
QBO_XSD = VENDOR / "quickbooks" / "xsd"


def need(path: Path) -> Path:
    if not path.exists():
        pytest.skip(f"vendor artefact {path.name} is not available (shared/vendor is absent)")
    return path


def to_jsonschema(node: Any) -> Any:
    """OpenAPI 3.0 schema -> JSON Schema 2020-12 (``nullable`` honoured next to anyOf/enum)."""
    if isinstance(node, list):
        return [to_jsonschema(value) for value in node]
    if not isinstance(node, dict):
        return node
    node = {
        k: to_jsonschema(v) for k, v in node.items() if not k.startswith("x-") and k != "example"
    }
    if "$ref" in node and node["$ref"].startswith("#/components/schemas/"):
        node["$ref"] = "#/$defs/" + node["$ref"].rsplit("/", 1)[1]
    if node.pop("nullable", False):
        if "enum" in node and None not in node["enum"]:
            node["enum"] = [*node["enum"], None]
        return {"anyOf": [node, {"type": "null"}]}
    return node


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    defs = {name: to_jsonschema(value) for name, value in spec["components"]["schemas"].items()}
    return jsonschema.Draft202012Validator({**to_jsonschema(copy.deepcopy(schema)), "$defs": defs})


def errors(check: jsonschema.Draft202012Validator, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in check.iter_errors(instance)]


@cache
def stripe_spec() -> dict[str, Any]:
    return dict(json.loads(need(STRIPE_SPEC).read_text()))


class _NoTimestamps(yaml.SafeLoader):
    """YAML without timestamp resolution, so the spec's example strings stay verbatim."""


_NoTimestamps.yaml_implicit_resolvers = {
    key: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@cache
def xero_spec() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", None)
    text = need(XERO_SPEC).read_text()
    if loader is not None:

        class Fast(loader):  # type: ignore[misc,valid-type]
            pass

        Fast.yaml_implicit_resolvers = _NoTimestamps.yaml_implicit_resolvers
        return dict(yaml.load(text, Loader=Fast))
    return dict(yaml.load(text, Loader=_NoTimestamps))


def response_schema(spec: dict[str, Any], path: str) -> dict[str, Any]:
    return dict(
        spec["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    )


def operation_parameters(spec: dict[str, Any], path: str) -> dict[tuple[str, str], dict[str, Any]]:
    item = spec["paths"][path]
    params = {}
    for entry in [*item.get("parameters", []), *item["get"].get("parameters", [])]:
        param = (
            spec["components"]["parameters"][entry["$ref"].rsplit("/", 1)[1]]
            if "$ref" in entry
            else entry
        )
        params[(param["in"], param["name"].lower())] = param
    return params


# Stripe ---------------------------------------------------------------------------------


def test_stripe_fake_list_responses_match_the_spec() -> None:
    spec = stripe_spec()
    invoices = {
        "object": "list",
        "url": "/v1/invoices",
        "has_more": False,
        "data": [fake_stripe.invoice(1), fake_stripe.invoice(2, status="paid", currency="jpy")],
    }
    assert errors(validator(spec, response_schema(spec, "/v1/invoices")), invoices) == []
    api = fake_stripe.FakeStripe()
    api.add_event("invoice.paid", fake_stripe.invoice(3, status="paid"), 1_700_000_100)
    events = {"object": "list", "url": "/v1/events", "has_more": False, "data": api.events}
    assert errors(validator(spec, response_schema(spec, "/v1/events")), events) == []


def test_stripe_vendor_fixtures_map_cleanly() -> None:
    resources = json.loads(need(STRIPE_FIXTURES).read_text())["resources"]
    rows = Rows("stripe")
    rows.add_objects("invoices", [resources["invoice"]], map_invoice)
    rows.add_objects("customers", [resources["customer"]], map_customer)
    batches, problems = rows.batches("UTC")
    assert problems == ()
    kinds = {batch.kind: batch.frame for batch in batches}
    assert kinds[RecordKind.INVOICE].loc[0, "total"] == 10.0
    assert kinds[RecordKind.INVOICE].loc[0, "status"] == "draft"
    assert kinds[RecordKind.CUSTOMER].loc[0, "name"] == resources["customer"]["id"]


@pytest.fixture
def stripe_requests() -> Iterator[list[Any]]:
    api = fake_stripe.FakeStripe()
    api.invoices = [fake_stripe.invoice(n) for n in range(150)]
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        api.install(mock)
        connector = StripeConnector(
            StripeConfig(
                name="cards", api_key=SecretStr("rk_test_contract123"), base_url=fake_stripe.BASE
            ),
            ConnectorContext(business="acme", timezone="UTC", currency="GBP"),
            limiter=TokenBucket(1e6, 1e6),
            retry=RetryPolicy(max_attempts=1),
            clock=lambda: 1_700_100_000,
        )
        for _page in connector.pages(None):
            pass
        yield api.requests


def test_stripe_requests_use_only_declared_parameters(stripe_requests: list[Any]) -> None:
    spec = stripe_spec()
    checked = 0
    for request in stripe_requests:
        path = urlsplit(request.url).path
        if path not in spec["paths"]:
            continue  # /v1/customers is not in the subset kept
        declared = operation_parameters(spec, path)
        for key, value in parse_qsl(urlsplit(request.url).query):
            name, _, sub = key.partition("[")
            param = declared.get(("query", name))
            assert param is not None, f"{path}: {name} is not a parameter"
            schema = to_jsonschema(param["schema"])
            if param.get("style") == "deepObject" and sub.rstrip("]"):
                instance: Any = {sub.rstrip("]"): int(value)}
            elif key.endswith("[]"):
                instance = [value]
            else:
                instance = int(value) if schema.get("type") == "integer" else value
            assert not list(jsonschema.Draft202012Validator(schema).iter_errors(instance)), key
        assert request.headers["Stripe-Version"] == spec["info"]["version"]
        assert request.headers["Authorization"].startswith("Bearer ")
        checked += 1
    assert checked >= 3


# Xero -----------------------------------------------------------------------------------


def wrap(feed: str, objects: list[Any]) -> dict[str, Any]:
    return {
        "Id": "900c500b-e83c-4ce2-902a-b8ba04751748",
        "Status": "OK",
        "ProviderName": "Busywork tests",
        "DateTimeUTC": "/Date(1552326816230)/",
        "pagination": {"page": 1, "pageSize": 100, "pageCount": 1, "itemCount": len(objects)},
        feed: objects,
    }


@pytest.mark.parametrize(
    ("feed", "objects"),
    [
        ("Invoices", [fake_xero.invoice(1), fake_xero.invoice(2, kind="ACCPAY", status="PAID")]),
        ("Contacts", [fake_xero.contact(1), fake_xero.contact(2, supplier=True)]),
        ("ManualJournals", [fake_xero.journal(1)]),
        ("CreditNotes", [fake_xero.credit_note(1), fake_xero.credit_note(2, kind="ACCPAYCREDIT")]),
        (
            "Payments",
            [
                fake_xero.payment(1, fake_xero.invoice(1)),
                fake_xero.payment(2, fake_xero.invoice(2, kind="ACCPAY", status="PAID")),
            ],
        ),
        (
            "RepeatingInvoices",
            [
                fake_xero.repeating_invoice(1),
                fake_xero.repeating_invoice(2, kind="ACCPAY", unit="WEEKLY", end=1_577_750_400_000),
                fake_xero.repeating_invoice(3, status="DELETED"),
            ],
        ),
    ],
)
def test_xero_fake_responses_match_the_spec(feed: str, objects: list[Any]) -> None:
    spec = xero_spec()
    check = validator(spec, response_schema(spec, f"/{feed}"))
    assert errors(check, wrap(feed, objects)) == []


def test_xero_spec_examples_map_through_our_mappers() -> None:
    examples = need(XERO_EXAMPLES)
    rows = Rows("xero")
    rows.add_objects(
        "Invoices",
        json.loads((examples / "GET_Invoices.200.json").read_text())["Invoices"],
        map_xero_invoice,
    )
    rows.add_objects(
        "Contacts",
        json.loads((examples / "GET_Contacts.200.json").read_text())["Contacts"],
        map_contact,
    )
    rows.add_objects(
        "Payments",
        json.loads((examples / "GET_Payments.200.json").read_text())["Payments"],
        map_payment,
    )
    templates = xero_spec()["paths"]["/RepeatingInvoices"]["get"]["responses"]["200"]["content"]
    rows.add_objects(
        "RepeatingInvoices",
        templates["application/json"]["example"]["RepeatingInvoices"],
        map_repeating_invoice,
    )
    batches, problems = rows.batches("UTC")
    assert problems == ()
    kinds = {batch.kind: batch.frame for batch in batches}
    invoices = kinds[RecordKind.INVOICE]
    assert set(invoices["origin"]) >= {"template"}  # the example carries RepeatingInvoiceID
    assert len(kinds[RecordKind.PAYMENT]) >= 1
    [template] = kinds[RecordKind.RECURRING_TEMPLATE].to_dict("records")
    assert (template["document"], template["cadence_unit"], template["active"]) == (
        "invoice",
        "month",
        True,
    )
    journals = json.loads((examples / "GET_ManualJournals.200.json").read_text())["ManualJournals"]
    rows = Rows("xero")
    rows.add_objects("ManualJournals", journals, journal_mapper("NZD"))
    _, problems = rows.batches("UTC")
    # The spec's example journals have no lines: reported, not silently stored without accounts.
    assert len(problems) == len(journals)
    assert all("accounts: required value missing" in problem for problem in problems)


def test_xero_requests_use_declared_parameters_and_headers() -> None:
    spec = xero_spec()
    for feed in ("Invoices", "Contacts", "Payments", "ManualJournals"):
        declared = operation_parameters(spec, f"/{feed}")
        assert ("header", "xero-tenant-id") in declared
        assert declared[("header", "xero-tenant-id")]["required"] is True
        assert ("header", "if-modified-since") in declared
        assert ("query", "page") in declared
        assert ("query", "order") in declared
    # Repeating invoices can be neither filtered by change time nor paged: read whole.
    templates = operation_parameters(spec, "/RepeatingInvoices")
    assert ("header", "xero-tenant-id") in templates
    assert ("header", "if-modified-since") not in templates
    assert ("query", "page") not in templates
    # Xero accepts (and real clients send) a naive UTC time here although the spec says
    # RFC 3339 date-time: the one place we knowingly differ from the document.
    from connectors.xero import ims_header

    assert ims_header(1_541_176_290_160) == "2018-11-02T16:31:29"


# QuickBooks -----------------------------------------------------------------------------


def xsd_names() -> set[str]:
    names: set[str] = set()
    for name in (
        "Finance.xsd",
        "IntuitBaseTypes.xsd",
        "IntuitNamesTypes.xsd",
        "IntuitRestServiceDef.xsd",
    ):
        tree = ET.parse(need(QBO_XSD / name))
        names |= {node.attrib["name"] for node in tree.iter() if "name" in node.attrib}
    return names


def test_quickbooks_fields_and_entities_we_read_exist_in_intuits_schema() -> None:
    names = xsd_names()
    assert set(ENTITIES) <= names
    fields: set[str] = set()

    def collect(node: Any) -> None:
        if isinstance(node, dict):
            fields.update(key for key in node if key[0].isupper())
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(fake_quickbooks.invoice(1, recur="9"))
    collect(fake_quickbooks.customer(1))
    assert fields - names == set(), "fields our QuickBooks fake uses that Intuit does not declare"
    assert {"CDCResponse", "QueryResponse", "Fault", "RecurDataRef", "LastUpdatedTime"} <= names


XS = "{http://www.w3.org/2001/XMLSchema}"


class IntuitSchema:
    """Just enough of Intuit's XSDs to check a JSON object's keys against its complex type.

    JSON follows the XML: child elements and attributes become keys, a simple-content type
    (``ReferenceType``) keeps its text under ``value``, and ``<xs:element ref="IntuitObject"/>``
    accepts any member of that substitution group (how RecurringTransaction wraps a
    transaction).
    """

    def __init__(self, folder: Path) -> None:
        self.types: dict[str, ET.Element] = {}
        self.groups: dict[str, dict[str, str]] = {}
        for name in ("IntuitBaseTypes.xsd", "IntuitNamesTypes.xsd", "Finance.xsd", "SalesTax.xsd",
                     "Report.xsd", "IntuitRestServiceDef.xsd"):  # fmt: skip
            root = ET.parse(need(folder / name)).getroot()
            for node in root:
                if node.tag == f"{XS}complexType":
                    self.types[node.attrib["name"]] = node
                elif node.tag == f"{XS}element" and "substitutionGroup" in node.attrib:
                    group = self.groups.setdefault(node.attrib["substitutionGroup"], {})
                    group[node.attrib["name"]] = node.attrib["type"]

    def fields(self, type_name: str) -> dict[str, str | None]:
        """Every key an object of ``type_name`` may have, with its type (None: a scalar)."""
        found: dict[str, str | None] = {}
        for node in self.types[type_name].iter():
            if node.tag == f"{XS}element" and "name" in node.attrib:
                kind = node.attrib.get("type", "").removeprefix("xs:")
                found[node.attrib["name"]] = kind if kind in self.types else None
            elif node.tag == f"{XS}element" and "ref" in node.attrib:
                found.update(self.groups.get(node.attrib["ref"], {}))
            elif node.tag == f"{XS}attribute" and "name" in node.attrib:
                found[node.attrib["name"]] = None
            elif node.tag == f"{XS}extension":
                base = node.attrib["base"].removeprefix("xs:")
                if base in self.types:
                    found.update(self.fields(base))
                else:
                    found["value"] = None  # simple content: the text
        return found

    def problems(self, obj: Any, type_name: str, where: str = "") -> list[str]:
        """Keys of ``obj`` (recursively) that ``type_name`` does not declare."""
        if isinstance(obj, list):
            return [p for i, item in enumerate(obj) for p in self.problems(item, type_name, where)]
        if not isinstance(obj, dict):
            return []
        allowed = self.fields(type_name)
        out = []
        for key, value in obj.items():
            if key not in allowed:
                out.append(f"{where}{key} is not in {type_name}")
            elif allowed[key] is not None:
                out += self.problems(value, str(allowed[key]), f"{where}{key}.")
        return out


@cache
def intuit_schema() -> IntuitSchema:
    return IntuitSchema(QBO_XSD)


@pytest.mark.parametrize(
    ("type_name", "obj"),
    [
        ("Invoice", fake_quickbooks.invoice(1, recur="9")),
        ("CreditMemo", fake_quickbooks.credit_memo(1)),
        ("RefundReceipt", fake_quickbooks.credit_memo(2, entity="RefundReceipt")),
        ("Bill", fake_quickbooks.bill(1)),
        ("BillPayment", fake_quickbooks.bill_payment(1, [1, 2])),
        ("RecurringTransaction", fake_quickbooks.recurring(1, "Invoice", end="2027-01-31")),
        ("RecurringTransaction", fake_quickbooks.recurring(2, "Bill")),
        ("RecurringTransaction", fake_quickbooks.recurring(3, "JournalEntry")),
    ],
)
def test_quickbooks_fake_objects_follow_their_types_in_intuits_schema(
    type_name: str, obj: dict[str, Any]
) -> None:
    assert intuit_schema().problems(obj, type_name) == []


def test_quickbooks_schema_check_catches_a_misplaced_field() -> None:
    wrong = fake_quickbooks.recurring(1, "Bill")
    wrong["Bill"]["RecurringInfo"]["ScheduleInfo"]["Every"] = 2
    wrong["Bill"]["CustomerRef"] = {"value": "1"}
    assert sorted(intuit_schema().problems(wrong, "RecurringTransaction")) == [
        "Bill.CustomerRef is not in Bill",
        "Bill.RecurringInfo.ScheduleInfo.Every is not in RecurringScheduleInfo",
    ]


def test_quickbooks_recurring_schedule_values_are_the_documented_ones() -> None:
    text = need(QBO_XSD / "Finance.xsd").read_text()
    for value in ("Automated", "Reminded", "UnScheduled", "Yearly, Monthly, Daily or Weekly"):
        assert value in text
    from connectors.quickbooks import ENTITIES as QBO_ENTITIES

    assert "BillPayment" in QBO_ENTITIES
    assert {"BillPayment", "RecurringTransaction"} <= xsd_names()
