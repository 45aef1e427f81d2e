"""Tests for the evaluator: seeds, scoring, and a real run of the pipeline on two seeds."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from busywork import evaluate as evaluate_module
from busywork.cli import main
from busywork.evalkit.scanning import scan_twice
from busywork.evaluate import (
    CYCLE,
    KindScore,
    SeedResult,
    again_differs,
    calibration,
    evaluate,
    format_table,
    found_keys,
    is_decoy,
    make_business,
    parse_seeds,
    profiles_for,
    score,
    settings_for,
    unchecked_kinds,
)
from busywork.synth.mess import PROFILES
from detectors import _payment_ledger


def test_seed_lists_and_ranges() -> None:
    assert parse_seeds("1-5") == [1, 2, 3, 4, 5]
    assert parse_seeds("3") == [3]
    assert parse_seeds("1-3, 2-4,9") == [1, 2, 3, 4, 9]
    for bad in ("x", "5-2", "-1", "1-"):
        with pytest.raises(ValueError, match="seeds"):
            parse_seeds(bad)


def test_settings_vary_by_seed_within_range() -> None:
    settings = [settings_for(seed) for seed in range(1, 15)]
    assert {s.months for s in settings} == set(range(12, 19))
    assert len({s.customers for s in settings}) > 5
    assert all(20 <= s.customers <= 40 and 0.1 <= s.scale <= 0.35 for s in settings)
    assert settings_for(3, scale=0.5).scale == 0.5


Key = tuple[str, str | None]


def _result(
    seed: int, planted: set[Key], found: set[Key], decoys: set[Key] | None = None
) -> SeedResult:
    return SeedResult(seed, frozenset(planted), frozenset(decoys or set()), frozenset(found), 10)


def test_scoring_counts_hits_misses_extras_and_decoys() -> None:
    results = [
        _result(1, {("a", "x"), ("a", "y")}, {("a", "x"), ("a", "z")}, {("a", "z")}),
        _result(2, {("b", None)}, {("b", None)}),
    ]
    rows = {row.kind: row for row in score(results)}
    a = rows["a"]
    assert (a.true_positives, a.false_positives, a.false_negatives) == (1, 1, 1)
    assert a.decoys_reported == 1
    assert a.precision == a.recall == 0.5
    assert rows["b"].f1 == 1.0
    overall = rows["overall"]
    assert (overall.true_positives, overall.false_positives) == (2, 1)
    assert list(rows)[-1] == "overall"
    table = format_table(score(results), results)
    assert "| a | 2 | 1 | 1 | 1 | 1 | 1 | 0.500 | 0.500 | 0.500 |" in table
    assert "missed a (seed 1: y)" in table
    assert "not planted a (seed 1: z)" in table


def test_empty_kind_scores_are_perfect_not_undefined() -> None:
    row = KindScore("none")
    assert (row.precision, row.recall, row.f1) == (1.0, 1.0, 1.0)


@pytest.mark.slow
def test_two_seeds_through_the_whole_pipeline_find_what_was_planted() -> None:
    results = evaluate([1, 2], jobs=1, scale=0.1)
    assert [r.seed for r in results] == [1, 2]
    rows = {row.kind: row for row in score(results)}
    overall = rows["overall"]
    assert overall.true_positives >= 20
    assert overall.decoys_reported == 0
    assert overall.precision >= 0.95
    assert overall.recall >= 0.95
    assert {"recurring_bill", "recurring_journal_entry", "recurring_invoice"} <= set(rows)
    # Each seed was detected again through the snapshots its scan stored, to the same end.
    assert [r.same_again for r in results] == [True, True]
    assert "the same recommendations on 2 of 2 seeds" in format_table(score(results), results)


def test_a_second_detection_reads_the_snapshots_and_dates_payments_from_the_ledger(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The second detection takes the warm path: frames decoded from the stored snapshots,
    # payments dated from one ledger per pass (the first scan reads rows: no ledger).
    built: list[int] = []
    real = _payment_ledger._ledger

    def counted(*args: Any, **kwargs: Any) -> Any:
        built.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(_payment_ledger, "_ledger", counted)
    scanned = scan_twice(make_business(2, 0.1), seed=2)
    assert scanned.again is not None
    assert scanned.again["recommendations"] == scanned.document["recommendations"]
    assert scanned.document["recommendations"]
    assert built  # only the second detection can build one


def test_a_seed_detected_again_differently_is_named_and_fails_the_command(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    same = replace(
        _result(1, {("recurring_bill", "V1")}, {("recurring_bill", "V1")}), same_again=True
    )
    differ = replace(_result(2, set(), set()), same_again=False)
    table = format_table(score([same, differ]), [same, differ])
    assert "the same recommendations on 1 of 2 seeds; different on seeds 2" in table
    assert again_differs([same, differ]) == [2]
    assert "stored snapshots" not in format_table(score([_result(3, set(), set())]), [])
    monkeypatch.setattr(evaluate_module, "evaluate", lambda *args, **kwargs: [same, differ])
    assert main(["eval", "--seeds", "1-2"]) == 1
    assert "seeds 2" in capsys.readouterr().err


def test_eval_command_rejects_bad_seeds(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", "--seeds", "nine"]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_a_subject_the_truth_knows_by_an_alternative_id_is_matched_by_it() -> None:
    truth = frozenset({("recurring_journal_entry", "depreciation|fixed assets")})
    journal = {
        "kind": "recurring_journal_entry",
        "subject": {"id": "84", "alt_ids": ["accounts:depreciation|fixed assets"]},
    }
    other = {"kind": "recurring_journal_entry", "subject": {"id": "90", "alt_ids": []}}
    assert found_keys([journal, other], truth) == truth | {("recurring_journal_entry", "90")}


def test_eval_command_rejects_unknown_profiles_and_routes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["eval", "--seeds", "1", "--profiles", "tidy"]) == 2
    assert "--profiles" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["eval", "--seeds", "1", "--route", "ftp"])


def test_profiles_cycle_by_seed_and_keep_a_clean_baseline() -> None:
    cycled = {profiles_for(seed, None) for seed in range(len(CYCLE))}
    assert () in cycled
    assert {name for names in cycled for name in names} == set(PROFILES)
    assert profiles_for(7, ["latin1"]) == ("latin1",)


def test_whole_kind_decoys_and_aliases_are_scored() -> None:
    result = SeedResult(
        1,
        planted=frozenset({("recurring_invoice", "C1")}),
        decoys=frozenset({("slow_collection", None), ("payment_reminders", "*")}),
        found=frozenset({("recurring_invoice", "C1"), ("payment_reminders", "C9")}),
        records=10,
        confidences=((("recurring_invoice", "C1"), 0.9), (("payment_reminders", "C9"), 0.8)),
    )
    rows = {row.kind: row for row in score([result])}
    assert rows["payment_reminders"].decoys_reported == 1
    assert rows["overall"].must_not == 2
    assert is_decoy(("payment_reminders", "C42"), result.decoys)
    assert calibration([result]).brier == pytest.approx((0.1**2 + 0.8**2) / 2)
    assert "must not report" in format_table(score([result]), [result])


@pytest.mark.slow
def test_messy_businesses_report_no_decoys_and_find_what_was_planted() -> None:
    results = evaluate([1, 2], jobs=1, scale=0.05, profiles=("checkout_shop", "calendly_mirror"))
    for row in score(results):
        assert row.decoys_reported == 0, row.kind
        assert row.precision >= 0.95, row.kind
        assert row.recall >= 0.95, row.kind


def test_coverage_in_any_of_the_plain_shapes_names_the_unchecked_kinds() -> None:
    assert unchecked_kinds({"recommendations": []}) == frozenset()
    assert unchecked_kinds(
        {"coverage": {"slow_collection": {"checked": False, "reason": "no payment dates"}}}
    ) == {"slow_collection"}
    assert unchecked_kinds({"coverage": {"a": False, "b": True}}) == {"a"}
    assert unchecked_kinds({"coverage": [{"detector": "c", "checked": False}]}) == {"c"}
