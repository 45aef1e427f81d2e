"""Entity resolution: one customer or person across sources, and near misses kept apart."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from busywork.store.records import RecordKind
from detectors import AppointmentToInvoiceDetector
from detectors import _frames as fr
from detectors._codes import Codes, factor
from detectors._entities import resolve
from detectors._similar_names import match_name, similar_names, without_legal_words
from detectors.base import EntityLink
from tests.detectors.detector_factories import (
    appointment_series,
    appointments,
    context,
    customer,
    customers,
    invoices,
)


def parties(*rows: tuple[str, str | None, str | None, str | None]) -> pd.DataFrame:
    """Party rows: (source, id, name, e-mail)."""
    return pd.DataFrame(list(rows), columns=["source", "id", "name", "email"], dtype=object)


def same(result: Any, *rows: int) -> bool:
    return len({int(result.entity[row]) for row in rows}) == 1


def test_codes_the_caller_already_has_resolve_as_the_text_does() -> None:
    rows = parties(
        ("quickbooks", "58", "Harbour View Cafe", "info@harbour.example"),
        ("stripe", "cus_9", "Harbour View Café Ltd", " Info@Harbour.example"),
        ("calendar", None, "Ann Lee", None),
        ("quickbooks", "58", "Harbour View", None),
        ("calendar", None, "Dr Ann Lee", "ann@lee.example"),
        ("stripe", "cus_9", None, "not an address"),
    )
    plain = resolve(rows)
    coded = resolve(
        rows, coded={column: factor(rows[column]) for column in ("id", "name", "email")}
    )
    assert coded.entity.tolist() == plain.entity.tolist()
    assert coded.node.tolist() == plain.node.tolist()
    assert coded.labels.written() == plain.labels.written()
    pd.testing.assert_frame_equal(coded.links, plain.links)


def test_ids_first_seen_after_a_row_without_one_are_nodes_of_their_own() -> None:
    # An export's invoice without a customer id, then invoices of customers not seen yet.
    result = resolve(
        parties(
            ("quickbooks", "58", "Harbour View Cafe", None),
            ("quickbooks", None, "Walk-in", None),
            ("quickbooks", "61", "Lee Dental", None),
            ("quickbooks", "72", "Oak Joinery", "oak@joinery.example"),
            ("quickbooks", "61", "Lee Dental", None),
        )
    )
    assert result.labels.written() == [
        "quickbooks:58",
        "name:walkin",
        "quickbooks:61",
        "quickbooks:72",
    ]
    assert result.node.tolist() == [0, 1, 2, 3, 2]
    assert same(result, 2, 4)
    assert len({int(entity) for entity in result.entity}) == 4


def test_a_separator_inside_an_id_is_shown_as_a_colon_in_the_label() -> None:
    result = resolve(parties(("quickbooks", "58\x1f2", "Harbour View Cafe", None)))
    assert result.labels.written() == ["quickbooks:58:2"]


def test_two_pairs_written_alike_with_a_separator_inside_are_one_node() -> None:
    result = resolve(
        parties(
            ("a\x1fb", "c", "Harbour View Cafe", None),
            ("a", "b\x1fc", "Lee Dental", None),
            ("a", "b", "Oak Joinery", None),
        )
    )
    assert result.node.tolist() == [0, 0, 1]
    assert result.labels.written() == ["a:b:c", "a:b"]


def test_exact_keys_first_same_id_and_same_email() -> None:
    result = resolve(
        parties(
            ("quickbooks", "58", "Harbour View Cafe", "info@harbour.example"),
            ("quickbooks", "58", "Harbour View", None),  # an invoice of customer 58
            ("stripe", "cus_9", "HVC Payments", "Info@Harbour.example "),
        )
    )
    assert same(result, 0, 1, 2)
    (link,) = result.links.itertuples()
    assert (link.method, link.score) == ("email", 1.0)


def test_two_nodes_linked_twice_keep_one_link_the_best_scored_first_found() -> None:
    result = resolve(
        parties(
            ("quickbooks", "58", "Harbour View Cafe", "info@harbour.example"),
            ("stripe", "cus_9", "Harbour View Cafe", "info@harbour.example"),  # e-mail and name
            ("xero", "x-7", "Harbour View Caffe", "info@harbour.example"),  # e-mail, fuzzy
        )
    )
    assert same(result, 0, 1, 2)
    links = [(link.left, link.right, link.method, link.score) for link in result.links.itertuples()]
    # One link per pair, by node: the e-mail link (score 1, found first) beats the name
    # links of equal or lower score.
    assert [(left, right, method) for left, right, method, _ in links] == [
        (0, 1, "email"),
        (0, 2, "email"),
    ]
    assert all(score == 1.0 for *_, score in links)


def test_stripe_and_quickbooks_spellings_of_one_customer_are_one() -> None:
    result = resolve(
        parties(
            ("quickbooks", "58", "Harbour View Cafe Ltd", None),
            ("stripe", "cus_9", "HARBOUR VIEW CAFE", "till@harbour.example"),
        )
    )
    assert same(result, 0, 1)
    assert (
        match_name("Harbour View Cafe Ltd")
        == match_name("HARBOUR VIEW CAFE")
        == "harbour view cafe"
    )


def test_a_typo_in_a_name_is_the_same_customer_with_its_score() -> None:
    result = resolve(
        parties(
            ("quickbooks", "58", "Harbour View Cafe", None),
            ("csv", None, "Harbor View Cafe", None),  # an invoice row with a typo'd name
        )
    )
    assert same(result, 0, 1)
    (link,) = result.links.itertuples()
    assert link.method == "name"
    assert 0.85 <= link.score < 1.0


def test_a_customer_keyed_twice_with_a_typo_and_the_same_email_is_one() -> None:
    result = resolve(
        parties(
            ("quickbooks", "58", "Greenleaf Landscaping", "ops@greenleaf.example"),
            ("quickbooks", "77", "Greenleaf Landscapng", "ops@greenleaf.example"),
        )
    )
    assert same(result, 0, 1)


def test_a_second_id_with_the_same_email_needs_only_a_similar_name() -> None:
    result = resolve(
        parties(
            ("csv", "C7", "Pine Hill Dental", "desk@pinehill.example"),
            ("csv", "C7-B", "Pine Hlil Dental", "desk@pinehill.example"),  # cosine ~0.81
        )
    )
    assert same(result, 0, 1)
    (link,) = result.links.itertuples()
    assert link.method == "name"
    assert 0.7 <= link.score < 0.85


def test_a_similar_name_without_the_same_email_is_not_enough() -> None:
    result = resolve(
        parties(
            ("csv", "C7", "Pine Hill Dental", "desk@pinehill.example"),
            ("csv", "C8", "Pine Hlil Dental", "front@pinehlil.example"),  # its own address
            ("csv", "C9", "Pine Hlil Dental", None),  # the source keeps it apart
            ("stripe", "cus_4", "Pine Hlil Dental", None),  # 0.81: under the name threshold
        )
    )
    assert len(set(result.entity[[0, 1, 3]].tolist())) == 3
    assert not same(result, 0, 2)


def test_a_shared_address_with_an_unrelated_name_stays_two_customers() -> None:
    result = resolve(
        parties(
            ("csv", "60", "Smith Dental", "office@smith.example"),
            ("csv", "61", "Smith Dentistry", "office@smith.example"),  # cosine ~0.67
        )
    )
    assert not same(result, 0, 1)


def test_near_misses_stay_apart() -> None:
    result = resolve(
        parties(
            ("quickbooks", "60", "Smith Dental", None),
            ("stripe", "cus_1", "Smith Plumbing", None),
            ("quickbooks", "63", "John Smith", "john@one.example"),
            ("stripe", "cus_2", "John Smith", "john@two.example"),  # two people, two addresses
            ("quickbooks", "64", "Sam Lee", None),
            ("quickbooks", "65", "Sam Lee", None),  # the source keeps them apart
            ("gcal", None, "Sam Lee", None),  # so an attendee "Sam Lee" is neither
        )
    )
    assert len(set(result.entity.tolist())) == 7
    assert result.links.empty


def test_an_office_address_two_customers_share_does_not_merge_them() -> None:
    result = resolve(
        parties(
            ("quickbooks", "60", "Smith Dental", "office@smith.example"),
            ("quickbooks", "61", "Smith Plumbing", "office@smith.example"),
        )
    )
    assert not same(result, 0, 1)


def test_similar_names_are_searched_by_nearest_neighbours_within_first_letters() -> None:
    names = np.array(["harbour view cafe", "harbor view cafe", "smith dental", "smith plumbing"],
                     dtype=object)  # fmt: skip
    pairs = similar_names(names)
    assert pairs[["a", "b"]].values.tolist() == [[0, 1]]


def test_an_attendee_with_a_typo_and_a_customer_in_two_sources_are_one_customer() -> None:
    rng = np.random.default_rng(4)
    appts, invs = appointment_series(
        "58", "Harbour View Cafe", None, rng=rng, count=6, attendee_name="Harbor View Cafe"
    )
    for row in invs[::2]:  # half the invoices are raised in Stripe for the same customer
        row.update(source="stripe", customer_id="cus_9", customer_name="HARBOUR VIEW CAFE LTD")
    people = [customer("58", "Harbour View Cafe")]
    frames = {
        RecordKind.APPOINTMENT: appointments(appts),
        RecordKind.INVOICE: invoices(invs),
        RecordKind.CUSTOMER: customers(people),
    }
    (finding,) = AppointmentToInvoiceDetector().detect(frames, context())
    assert finding.subject.id == "58"
    assert finding.subject.alt_ids == ("stripe:cus_9",)
    assert finding.metrics["pairs"] == 6  # invoices of both sources pair with the sessions
    methods = {link.method for link in finding.links}
    assert methods == {"name"}
    assert EntityLink("quickbooks:58", "stripe:cus_9", 1.0, "name") in finding.links
    fuzzy = [link for link in finding.links if link.score < 1.0]
    assert fuzzy
    assert all(0.85 <= link.score < 1.0 for link in fuzzy)
    assert any("harbor view cafe" in (link.left + link.right) for link in fuzzy)


def test_names_cleaned_then_stripped_of_legal_words_are_coded_as_match_name_codes_them() -> None:
    names = pd.Series(
        ["Acme Ltd", "ACME Limited", "Dr. Zoë Lee", "The Company", "and", None, "Acme", "", "  "],
        dtype=object,
    )

    stepwise = Codes.of([names], fr.clean_name).cleaned(without_legal_words)
    direct = Codes.of([names], match_name)

    assert stepwise.codes.tolist() == direct.codes.tolist()
    assert stepwise.values.tolist() == direct.values.tolist()
    assert direct.values.tolist()[:2] == ["acme", "zoe lee"]
