"""What the HTML report shows, in plain words: the view model behind ``report.html.j2``.

The owner should be able to read the page in two minutes: the first screen holds the three
to five things worth doing, with the hours and money at stake as ranges and what to do in
their tool; everything else is folded away, grouped by the goal it serves. No internal key
(``cash_flow``, ``slow_collection``), score or raw timestamp reaches the page.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from alignment.admin_time import non_overlapping_hours, time_spent
from busywork import wording

#: How many recommendations the first screen shows at most, and at least when there are.
TOP_MOST = 5
TOP_LEAST = 3
#: Past the first three, a recommendation joins the first screen only if its score is at
#: least this share of the best one's: a fourth item worth a tenth of the first is noise there.
TOP_SCORE_SHARE = 0.1
#: Record ids listed inline before the list is folded away.
EVIDENCE_INLINE_LIMIT = 10
UNALIGNED_GROUP = "Serves none of your goals"

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]+")

Rec = Mapping[str, Any]


def text(value: Any) -> str:
    """A document value as display text, without control characters from third-party data."""
    return _CONTROL_CHARS.sub(" ", "" if value is None else str(value)).strip()


def number(value: Any) -> float:
    """A document value as a float; anything that is not a number counts as 0."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def mapping(value: Any) -> Mapping[str, Any]:
    """A document value as a mapping; anything else is empty."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Any]:
    """A document value as a list; anything else is empty."""
    return list(value) if isinstance(value, list | tuple) else []


def recommendations(doc: Mapping[str, Any]) -> list[Rec]:
    """The document's recommendations, skipping anything malformed."""
    return [rec for rec in items(doc.get("recommendations")) if isinstance(rec, Mapping)]


def is_aligned(rec: Rec) -> bool:
    """Whether a recommendation serves a declared goal (and so is ranked)."""
    return bool(rec.get("aligned", rec.get("rank") is not None))


def currency(rec: Rec, doc: Mapping[str, Any]) -> str:
    """The currency of a recommendation's money: its own, else the business's."""
    return text(mapping(rec.get("impact")).get("currency") or doc.get("currency") or "")


def hours(rec: Rec) -> float:
    """Hours a month a recommendation saves."""
    return number(mapping(rec.get("impact")).get("hours_saved_per_month"))


def cash(rec: Rec) -> float:
    """Money a month a recommendation is worth."""
    return number(mapping(rec.get("impact")).get("cash_impact"))


def goal_names(doc: Mapping[str, Any]) -> dict[str, str]:
    """Goal ids to the names the business gave them."""
    names = {}
    for goal in map(mapping, items(doc.get("goals"))):
        names[text(goal.get("id"))] = text(goal.get("name")) or text(goal.get("id"))
    return names


def main_goal(rec: Rec, names: Mapping[str, str]) -> str:
    """The name of the goal a recommendation contributes most to; the unaligned group if none."""
    served = [
        (number(goal.get("contribution")), text(goal.get("goal")))
        for goal in map(mapping, items(rec.get("goals")))
        if number(goal.get("contribution")) > 0
    ]
    if not is_aligned(rec) or not served:
        return UNALIGNED_GROUP
    goal_id = max(served)[1]
    return names.get(goal_id, goal_id)


def effects(rec: Rec, doc: Mapping[str, Any], names: Mapping[str, str]) -> list[dict[str, str]]:
    """Each goal a recommendation moves, with every KPI change that earned part of it."""
    rows = []
    for goal in map(mapping, items(rec.get("goals"))):
        if number(goal.get("contribution")) <= 0:
            continue
        parts = [
            part
            for part in map(mapping, items(goal.get("kpis")))
            if number(part.get("share_of_goal")) > 0
        ]
        changes = [_change_words(part, rec, doc) for part in parts or [goal]]
        if any(changes):
            goal_id = text(goal.get("goal"))
            rows.append(
                {"goal": names.get(goal_id, goal_id), "change": "; ".join(filter(None, changes))}
            )
    return rows


def _change_words(part: Mapping[str, Any], rec: Rec, doc: Mapping[str, Any]) -> str:
    change = part.get("kpi_change")
    return wording.kpi_change(
        text(part.get("metric")),
        float(change) if isinstance(change, int | float) else None,
        currency(rec, doc),
    )


def headline(recs: Sequence[Rec], doc: Mapping[str, Any]) -> dict[str, str]:
    """What the listed recommendations add up to, counting overlapping findings once.

    Hours add up per activity (keying invoices, chasing payments …): two findings that cite
    the same records (the business's slow collection and one late payer's invoices) are
    the same work, so only the larger counts, and an activity never adds more than the
    time it takes in the data (the document's ``admin_time``). Money adds up the same way
    across all findings. A document without ``admin_time`` is capped, in total, at the
    admin-hours baseline its goals measured.
    """
    admin = _admin_time(doc)
    work = [(text(rec.get("kind")), hours(rec), _record_ids(rec)) for rec in recs]
    claimed = sum(non_overlapping_hours(work, None).values())
    measured: float | None
    if admin is not None:
        total_hours, measured = sum(non_overlapping_hours(work, admin).values()), time_spent(admin)
    else:
        measured = _measured_admin_hours(doc)
        total_hours = claimed if measured is None else min(claimed, measured)
    seen: set[str] = set()
    total_cash = 0.0
    for rec in sorted(recs, key=cash, reverse=True):
        ids = _record_ids(rec)
        if not ids & seen:
            seen |= ids
            total_cash += cash(rec)
    return {
        "hours": wording.hours_range(total_hours),
        "cash": wording.money_range(total_cash, text(doc.get("currency"))),
        "capped": f"capped at the {measured:,.0f} admin hours a month measured in your data"
        if measured is not None and claimed > total_hours + 0.05
        else "",
    }


def _admin_time(doc: Mapping[str, Any]) -> dict[str, float] | None:
    if "admin_time" not in doc:
        return None
    return {text(key): number(value) for key, value in mapping(doc.get("admin_time")).items()}


def _record_ids(rec: Rec) -> frozenset[str]:
    return frozenset(text(i) for i in items(mapping(rec.get("evidence")).get("record_ids")))


def _measured_admin_hours(doc: Mapping[str, Any]) -> float | None:
    for goal in map(mapping, items(doc.get("goals"))):
        kpi = mapping(goal.get("kpi"))
        if kpi.get("metric") == "admin_hours_per_month" and kpi.get("baseline_from") == "data":
            baseline = kpi.get("baseline")
            if isinstance(baseline, int | float) and baseline > 0:
                return float(baseline)
    return None


def card(rec: Rec, doc: Mapping[str, Any], names: Mapping[str, str], total: int) -> dict[str, Any]:
    """One recommendation as the page shows it."""
    evidence = mapping(rec.get("evidence"))
    period = mapping(evidence.get("period"))
    record_ids = [text(record_id) for record_id in items(evidence.get("record_ids"))]
    count = int(number(evidence.get("count", len(record_ids))))
    rank = rec.get("rank")
    kind = text(rec.get("kind"))
    start, end = wording.long_date(period.get("start")), wording.long_date(period.get("end"))
    return {
        "id": text(rec.get("id")),
        "title": text(rec.get("title")),
        "rank": f"{rank} of {total}" if is_aligned(rec) and rank is not None else "",
        "kind": wording.kind_label(kind) if kind else "",
        "category": wording.CATEGORY_LABELS.get(text(rec.get("category")), ""),
        "hours": wording.hours_range(hours(rec)),
        "cash": wording.money_range(cash(rec), currency(rec, doc)),
        "hours_value": hours(rec),
        "todo": text(rec.get("suggested_automation")),
        "summary": text(rec.get("summary")),
        "explanation": text(rec.get("explanation")),
        "confidence": f"{number(rec.get('confidence')):.0%}",
        "effects": effects(rec, doc, names),
        "effort": text(mapping(rec.get("effort")).get("what")),
        "stability": stability(rec, doc, names),
        "evidence": f"{count:,} record{'' if count == 1 else 's'}"
        + (f", {start} to {end}" if start and end else ""),
        "sources": ", ".join(text(source) for source in items(rec.get("sources"))),
        "record_ids": record_ids,
        "collapse_ids": len(record_ids) > EVIDENCE_INLINE_LIMIT,
    }


def stability(rec: Rec, doc: Mapping[str, Any], names: Mapping[str, str]) -> str:
    """How firmly a recommendation holds its place against the one ranked below it."""
    held = mapping(rec.get("stability"))
    if not held:
        return ""
    titles = {text(r.get("id")): text(r.get("title")) for r in recommendations(doc)}
    below = titles.get(text(held.get("next")))
    if not below:
        return ""
    goal, factor = held.get("goal"), held.get("factor", held.get("weight_factor"))
    if goal is None or not isinstance(factor, int | float) or factor <= 0:
        return f"It stays ahead of “{below}” however one goal's weight changes (up to 10×)."
    how = f"{factor:.1f}× as much" if factor >= 1 else f"{1 / factor:.1f}× less"
    goal_name = names.get(text(goal), text(goal))
    return f"It would fall below “{below}” if “{goal_name}” counted {how}."


def top_and_rest(recs: Sequence[Rec]) -> tuple[list[Rec], list[Rec]]:
    """The first screen's recommendations (ranked ones, best first) and everything else."""
    aligned = sorted(
        (rec for rec in recs if is_aligned(rec)),
        key=lambda rec: (rec.get("rank") is None, number(rec.get("rank"))),
    )
    best = number(aligned[0].get("score")) if aligned else 0.0
    top = aligned[:TOP_LEAST] + [
        rec
        for rec in aligned[TOP_LEAST:TOP_MOST]
        if number(rec.get("score")) >= TOP_SCORE_SHARE * best
    ]
    rest = [rec for rec in recs if not any(rec is chosen for chosen in top)]
    return top, rest


def groups(
    rest: Sequence[Rec], doc: Mapping[str, Any], names: Mapping[str, str], total: int
) -> list[dict[str, Any]]:
    """The other recommendations, grouped by the goal they serve most; unaligned last."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for rec in rest:
        grouped.setdefault(main_goal(rec, names), []).append(card(rec, doc, names, total))
    order = [name for name in names.values() if name in grouped]
    order += [name for name in grouped if name not in order and name != UNALIGNED_GROUP]
    if UNALIGNED_GROUP in grouped:
        order.append(UNALIGNED_GROUP)
    return [{"goal": name, "cards": grouped[name]} for name in order]


def chart_rows(cards: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Hours saved per recommendation as bar widths (percent of the largest)."""
    largest = max((number(c["hours_value"]) for c in cards), default=0.0)
    return [
        {
            "title": c["title"],
            "label": c["hours"],
            "width": 0.0 if largest <= 0 else round(100 * number(c["hours_value"]) / largest, 1),
        }
        for c in cards
    ]
