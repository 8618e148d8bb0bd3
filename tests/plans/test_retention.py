"""Retention grammar (gallringsfrister), delivery deadlines and date arithmetic (domain.md §1.3)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diariekit.plans.retention import (
    Action,
    DeliveryRule,
    Period,
    RetentionRule,
    Rounding,
    Trigger,
    Unit,
    add_period,
    due_date,
    parse_delivery,
    parse_retention,
    parse_retention_columns,
)

K, D, R = Action.KEEP, Action.DISPOSE, Action.REVIEW
Y, M, W, DD = Unit.YEARS, Unit.MONTHS, Unit.WEEKS, Unit.DAYS
T = Trigger

# text, action, (amount, unit) or None, trigger, recognised
CASES: list[tuple[str | None, Action, tuple[int, Unit] | None, Trigger | None, bool]] = [
    ("Bevaras", K, None, None, True),
    ("B", K, None, None, True),
    ("BEVARAS", K, None, None, True),
    ("bevaras.", K, None, None, True),
    ("Bevaras, levereras efter 5 år", K, None, None, True),
    ("Bevaras. Lev. till kommunarkivet efter 10 år", K, None, None, True),
    ("Bevaras i original", K, None, None, True),
    ("", K, None, None, True),
    (None, K, None, None, True),
    ("-", K, None, None, True),
    ("G", D, None, None, False),
    ("Gallras", D, None, None, False),
    ("G 5 år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("G5 år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("Gallras 5 år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("Gallras efter 5 år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("Efter 10 år", D, (10, Y), T.DOCUMENT_DATE, True),
    ("2 år", D, (2, Y), T.DOCUMENT_DATE, True),
    ("3 mån", D, (3, M), T.DOCUMENT_DATE, True),
    ("3 mån.", D, (3, M), T.DOCUMENT_DATE, True),
    ("3 månader", D, (3, M), T.DOCUMENT_DATE, True),
    ("1 månad", D, (1, M), T.DOCUMENT_DATE, True),
    ("6 veckor", D, (6, W), T.DOCUMENT_DATE, True),
    ("30 dagar", D, (30, DD), T.DOCUMENT_DATE, True),
    ("två år", D, (2, Y), T.DOCUMENT_DATE, True),
    ("Tio år", D, (10, Y), T.DOCUMENT_DATE, True),
    ("Kan gallras efter 2 år", D, (2, Y), T.DOCUMENT_DATE, True),
    ("1 år efter ärendets avslut", D, (1, Y), T.CASE_CLOSED, True),
    ("G 2 år efter ärendets avslut", D, (2, Y), T.CASE_CLOSED, True),
    ("5 år efter avslut", D, (5, Y), T.CASE_CLOSED, True),
    ("5 år (efter ärendets avslut)", D, (5, Y), T.CASE_CLOSED, True),
    ("5 år efter avslutad anställning", D, (5, Y), T.EMPLOYMENT_END, True),
    ("10 år efter personens död", D, (10, Y), T.DEATH, True),
    ("Efter personens död", D, None, T.DEATH, True),
    ("5 år efter sista anteckning", D, (5, Y), T.LAST_ENTRY, True),
    ("5 år efter senaste anteckning", D, (5, Y), T.LAST_ENTRY, True),
    ("5 år från registrering", D, (5, Y), T.REGISTERED, True),
    ("2 år efter utgången av det kalenderår då handlingen upprättades",
     D, (2, Y), T.DOCUMENT_DATE, True),
    ("2 år efter utgången av det kalenderår då handlingen inkom", D, (2, Y), T.DOCUMENT_DATE, True),
    ("Gallras efter leverans", D, None, T.TRANSFERRED, True),
    ("Gallras efter leverans till e-arkivet", D, None, T.TRANSFERRED, True),
    ("Gallras efter skanning", D, None, T.SCAN_VERIFIED, True),
    ("Gallras efter skanning och kontroll", D, None, T.SCAN_VERIFIED, True),
    ("Gallras när protokollet vunnit laga kraft", D, None, T.DECISION_FINAL, True),
    ("Gallras efter laga kraft", D, None, T.DECISION_FINAL, True),
    ("Efter revision", D, None, T.AUDIT_DISCHARGED, True),
    ("rev", D, None, T.AUDIT_DISCHARGED, True),
    ("Rev.", D, None, T.AUDIT_DISCHARGED, True),
    ("Gallras efter ärendets avslut", D, None, T.CASE_CLOSED, True),
    ("Vid inaktualitet", R, None, None, True),
    ("VID INAKTUALITET.", R, None, None, True),
    ("Gallras vid inaktualitet", R, None, None, True),
    ("När den inte längre behövs", R, None, None, True),
    ("Vid inaktualitet, dock senast efter 2 år", R, None, None, True),
    ("Gallras om det endast utgör en upprepning …", R, None, None, True),
    ("Se anmärkning", R, None, None, True),
    ("Gallras efter att bidraget betalats ut", D, None, T.CUSTOM, True),
    # noise of exported plans: soft hyphen, NBSP, en dash, line break, double spaces
    ("Gal\u00adlras 5\u00a0år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("G \u2013 5 år", D, (5, Y), T.DOCUMENT_DATE, True),
    ("  5  år\nefter   ärendets avslut.  ", D, (5, Y), T.CASE_CLOSED, True),
    ("Året", R, None, None, False),
    ("?", R, None, None, False),
    ("1,5 år", R, None, None, False),
    ("Efter 5 å", R, None, None, False),
    ("Bevaras 5 år", R, None, None, False),
    ("B/G", R, None, None, False),
    ("999 år", R, None, None, False),
    ("Vid inaktualitet eller när chefen säger det", R, None, None, False),
]


@pytest.mark.parametrize(("text", "action", "period", "trigger", "recognised"), CASES)
def test_parse_retention_table(
    text: str | None, action: Action, period: tuple[int, Unit] | None,
    trigger: Trigger | None, recognised: bool,
) -> None:
    rule = parse_retention(text)
    assert rule.action is action
    assert rule.period == (Period(*period) if period else None)
    assert rule.trigger is trigger
    assert rule.recognised is recognised
    assert rule.raw == (text or "").strip()
    assert (rule.problem is not None) or recognised


@pytest.mark.parametrize(("text", "rounding"), [
    ("5 år", Rounding.CALENDAR_YEAR_END),
    ("5 år efter ärendets avslut", Rounding.CALENDAR_YEAR_END),
    ("3 mån", Rounding.EXACT),
    ("6 veckor", Rounding.EXACT),
    ("30 dagar", Rounding.EXACT),
    ("3 mån efter utgången av kalenderåret", Rounding.CALENDAR_YEAR_END),
    ("Gallras efter leverans", Rounding.EXACT),
])
def test_rounding_defaults_per_unit(text: str, rounding: Rounding) -> None:
    assert parse_retention(text).rounding is rounding


def test_review_with_cap() -> None:
    rule = parse_retention("Vid inaktualitet, dock senast 2 år efter ärendets avslut")
    assert (rule.action, rule.cap, rule.cap_trigger) == (R, Period(2, Y), T.CASE_CLOSED)
    assert rule.due_trigger is T.CASE_CLOSED
    assert not rule.disposes
    assert due_date(rule, date(2020, 6, 1)) == date(2023, 1, 1)
    bare = parse_retention("Vid inaktualitet, dock senast 2 år")
    assert (bare.cap, bare.cap_trigger) == (Period(2, Y), T.DOCUMENT_DATE)
    assert bare.describe() == "gallras vid inaktualitet, dock senast 2 år"


def test_review_with_floor_keeps_the_text() -> None:
    rule = parse_retention("Vid inaktualitet, dock tidigast efter 1 år")
    assert rule.action is R and rule.recognised and rule.cap is None
    assert rule.condition_text == "dock tidigast efter 1 år"
    assert due_date(rule, date(2020, 1, 1)) is None


def test_conditional_rule_is_review_with_condition() -> None:
    rule = parse_retention("Gallras om det endast utgör en upprepning …")
    assert rule.condition_text == "om det endast utgör en upprepning …"
    assert rule.conditional and not rule.disposes
    with_period = parse_retention("Gallras 2 år efter ärendets avslut om inte lex Sarah")
    assert (with_period.action, with_period.period, with_period.trigger) == (
        R, Period(2, Y), T.CASE_CLOSED)
    assert with_period.condition_text == "om inte lex Sarah"
    assert due_date(with_period, date(2020, 1, 1)) is None


def test_see_notes_keeps_what_it_can() -> None:
    rule = parse_retention("5 år, se anmärkning")
    assert (rule.action, rule.see_notes, rule.recognised) == (R, True, True)
    assert rule.period == Period(5, Y)
    assert due_date(rule, date(2020, 1, 1)) is None
    assert parse_retention("Bevaras, se anm.").see_notes
    assert parse_retention("Gallras enligt anmärkning").see_notes


def test_custom_trigger_never_dates_itself() -> None:
    rule = parse_retention("10 år efter att räkenskapsåret avslutats")
    assert (rule.trigger, rule.trigger_text) == (T.CUSTOM, "att räkenskapsåret avslutats")
    assert rule.recognised and not rule.disposes
    assert rule.problem is not None and "person" in rule.problem
    assert due_date(rule, date(2020, 1, 1)) is None


def test_explicit_calendar_year_for_months() -> None:
    rule = parse_retention("3 mån efter utgången av det kalenderår då ärendet avslutades")
    assert (rule.period, rule.trigger, rule.rounding) == (
        Period(3, M), T.CASE_CLOSED, Rounding.CALENDAR_YEAR_END)
    assert due_date(rule, date(2024, 5, 20)) == date(2025, 4, 1)


def test_disposes_property() -> None:
    assert parse_retention("G 5 år").disposes
    assert parse_retention("Gallras efter leverans").disposes
    assert not parse_retention("Bevaras").disposes
    assert not parse_retention("Gallras").disposes
    assert not parse_retention("Vid inaktualitet").disposes
    assert not parse_retention("Året").disposes


@pytest.mark.parametrize(("text", "expected"), [
    ("Bevaras", "bevaras"),
    ("G 5 år efter ärendets avslut", "gallras 5 år efter ärendets avslut"),
    ("Vid inaktualitet", "gallras vid inaktualitet"),
    ("Vid inaktualitet, dock senast efter 2 år", "gallras vid inaktualitet, dock senast 2 år"),
    ("3 månader", "gallras 3 mån"),
    ("2 veckor", "gallras 2 veckor"),
    ("10 dagar", "gallras 10 dagar"),
    ("Gallras när protokollet vunnit laga kraft", "gallras efter laga kraft"),
    ("5 år efter senaste anteckning", "gallras 5 år efter sista anteckning"),
    ("Se anmärkning", "se anmärkning"),
    ("G", "gallras (gallringsfrist saknas)"),
    ("Året", "ej tolkad: Året"),
])
def test_describe(text: str, expected: str) -> None:
    assert parse_retention(text).describe() == expected


def test_to_dict_is_json_ready() -> None:
    data = parse_retention("G 2 år efter ärendets avslut").to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["action"] == "dispose"
    assert data["period"] == {"amount": 2, "unit": "years"}
    assert data["trigger"] == "case_closed"
    assert data["rounding"] == "calendar_year_end"
    assert data["recognised"] is True
    assert data["description"] == "gallras 2 år efter ärendets avslut"


# --------------------------------------------------------------------------- two columns

@pytest.mark.parametrize(("action_col", "period_col", "action", "period", "recognised"), [
    ("G", "5 år", D, Period(5, Y), True),
    ("Gallras", "5 år efter ärendets avslut", D, Period(5, Y), True),
    ("B", "", K, None, True),
    ("B", None, K, None, True),
    ("Bevaras", "-", K, None, True),
    ("", "2 år", D, Period(2, Y), True),
    (None, "3 mån", D, Period(3, M), True),
    ("B", "5 år", R, None, False),
    ("G", "Bevaras", R, None, False),
    ("G", "", D, None, False),
    ("G", "Vid inaktualitet", R, None, True),
    ("G", "om det är en kopia", R, None, True),
    ("G", "Gallras efter 2 år", D, Period(2, Y), True),
    ("B", "Levereras efter 5 år", K, None, True),
    (None, None, K, None, True),
])
def test_parse_retention_columns(
    action_col: str | None, period_col: str | None, action: Action, period: Period | None,
    recognised: bool,
) -> None:
    rule = parse_retention_columns(action_col, period_col)
    assert (rule.action, rule.period, rule.recognised) == (action, period, recognised)


def test_columns_contradiction_explains_itself() -> None:
    rule = parse_retention_columns("B", "5 år")
    assert rule.raw == "B 5 år"
    assert rule.problem is not None and "bevaras" in rule.problem
    assert due_date(rule, date(2020, 1, 1)) is None


def test_columns_see_notes() -> None:
    rule = parse_retention_columns("Bevaras", "Se anm")
    assert rule.see_notes and rule.action is R


# --------------------------------------------------------------------------- delivery

@pytest.mark.parametrize(("text", "period", "never", "trigger", "recognised"), [
    ("5 år", Period(5, Y), False, T.DOCUMENT_DATE, True),
    ("Efter 10 år", Period(10, Y), False, T.DOCUMENT_DATE, True),
    ("Levereras efter 5 år", Period(5, Y), False, T.DOCUMENT_DATE, True),
    ("Levereras till kommunarkivet efter 5 år", Period(5, Y), False, T.DOCUMENT_DATE, True),
    ("1 år efter ärendets avslut", Period(1, Y), False, T.CASE_CLOSED, True),
    ("Efter ärendets avslut", None, False, T.CASE_CLOSED, True),
    ("Ej", None, True, None, True),
    ("Levereras ej", None, True, None, True),
    ("Ska ej levereras", None, True, None, True),
    ("-", None, True, None, True),
    ("", None, False, None, True),
    (None, None, False, None, True),
    ("Vid inaktualitet", None, False, None, False),
    ("Levereras", None, False, None, False),
    ("Året", None, False, None, False),
])
def test_parse_delivery(
    text: str | None, period: Period | None, never: bool, trigger: Trigger | None,
    recognised: bool,
) -> None:
    rule = parse_delivery(text)
    assert (rule.period, rule.never, rule.trigger, rule.recognised) == (
        period, never, trigger, recognised)
    assert json.loads(json.dumps(rule.to_dict())) == rule.to_dict()


def test_delivery_describe() -> None:
    assert parse_delivery("Efter 10 år").describe() == "levereras 10 år"
    assert parse_delivery("Ej").describe() == "levereras ej"
    assert parse_delivery("").describe() == "ingen leveransfrist"


# --------------------------------------------------------------------------- dates

@pytest.mark.parametrize(("start", "period", "rounding", "expected"), [
    # Örebro: a 2-year frist on an application from 2013 allows gallring in January 2016.
    (date(2013, 3, 14), Period(2, Y), Rounding.CALENDAR_YEAR_END, date(2016, 1, 1)),
    (date(2013, 12, 31), Period(2, Y), Rounding.CALENDAR_YEAR_END, date(2016, 1, 1)),
    (date(2013, 1, 1), Period(0, Y), Rounding.CALENDAR_YEAR_END, date(2014, 1, 1)),
    # domain.md §6.2: closed 2026-05-20, 2 years → 2029-01-01
    (date(2026, 5, 20), Period(2, Y), Rounding.CALENDAR_YEAR_END, date(2029, 1, 1)),
    (date(2024, 2, 29), Period(1, Y), Rounding.EXACT, date(2025, 2, 28)),
    (date(2024, 2, 29), Period(4, Y), Rounding.EXACT, date(2028, 2, 29)),
    (date(2023, 6, 15), Period(5, Y), Rounding.EXACT, date(2028, 6, 15)),
    (date(2024, 1, 31), Period(1, M), Rounding.EXACT, date(2024, 2, 29)),
    (date(2023, 1, 31), Period(1, M), Rounding.EXACT, date(2023, 2, 28)),
    (date(2023, 3, 31), Period(1, M), Rounding.EXACT, date(2023, 4, 30)),
    (date(2023, 11, 30), Period(3, M), Rounding.EXACT, date(2024, 2, 29)),
    (date(2023, 12, 15), Period(1, M), Rounding.EXACT, date(2024, 1, 15)),
    (date(2024, 2, 22), Period(1, W), Rounding.EXACT, date(2024, 2, 29)),
    (date(2023, 12, 31), Period(1, DD), Rounding.EXACT, date(2024, 1, 1)),
    (date(2023, 5, 5), Period(3, M), Rounding.CALENDAR_YEAR_END, date(2024, 4, 1)),
    (date(2023, 5, 5), Period(10, DD), Rounding.CALENDAR_YEAR_END, date(2024, 1, 11)),
])
def test_add_period(start: date, period: Period, rounding: Rounding, expected: date) -> None:
    assert add_period(start, period, rounding) == expected


def test_add_period_past_9999_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="9999"):
        add_period(date(9999, 6, 1), Period(1, Y), Rounding.CALENDAR_YEAR_END)
    with pytest.raises(ValueError, match="9999"):
        add_period(date(9999, 12, 31), Period(1, DD), Rounding.EXACT)


def test_period_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        Period(-1, Y)


@pytest.mark.parametrize(("text", "trigger_date", "expected"), [
    ("G 5 år", date(2020, 3, 3), date(2026, 1, 1)),
    ("5 år efter sista anteckning", date(2019, 11, 30), date(2025, 1, 1)),
    ("3 mån", date(2024, 11, 30), date(2025, 2, 28)),
    ("Gallras efter leverans", date(2024, 4, 2), date(2024, 4, 2)),
    ("Bevaras", date(2024, 4, 2), None),
    ("Vid inaktualitet", date(2024, 4, 2), None),
    ("Gallras", date(2024, 4, 2), None),
    ("Året", date(2024, 4, 2), None),
    ("Se anmärkning", date(2024, 4, 2), None),
])
def test_due_date(text: str, trigger_date: date, expected: date | None) -> None:
    assert due_date(parse_retention(text), trigger_date) == expected


def test_due_date_follows_a_plan_wide_exact_rounding() -> None:
    rule = parse_retention("G 5 år")
    exact = replace(rule, rounding=Rounding.EXACT)
    assert due_date(exact, date(2020, 3, 3)) == date(2025, 3, 3)


def test_last_entry_due_date_is_inside_the_sof_window() -> None:
    # SoF: gallring 5 years after the last entry, completed by the end of the next year.
    rule = parse_retention("5 år efter sista anteckning")
    for last in (date(2020, 1, 1), date(2020, 7, 15), date(2020, 12, 31)):
        due = due_date(rule, last)
        assert due is not None
        assert date(2025, last.month, last.day) <= due <= date(2026, 12, 31)


# --------------------------------------------------------------------------- properties

DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(2400, 12, 31))
PERIODS = st.builds(Period, st.integers(min_value=0, max_value=400), st.sampled_from(Unit))
ROUNDINGS = st.sampled_from(Rounding)
VOCAB = st.sampled_from([
    "G", "B", "gallras", "bevaras", "efter", "vid", "när", "om", "dock", "senast", "tidigast",
    "5", "år", "mån", "veckor", "dagar", "två", "inaktualitet", "ärendets", "avslut", "se",
    "anm.", "utgången", "av", "det", "kalenderår", "då", "handlingen", "upprättades", ",",
    "(", ")", "-", "–", "\u00ad", "\u00a0", "levereras", "ej", "laga", "kraft", "rev", "sista",
    "anteckning", "från", "9999", "0", "att", "ſex", "nıo",
])


@settings(max_examples=400)
@given(st.text())
def test_parse_retention_is_total(text: str) -> None:
    rule = parse_retention(text)
    assert rule.raw == text.strip()
    assert rule.describe()
    json.dumps(rule.to_dict())
    if not rule.recognised:
        assert rule.problem and due_date(rule, date(2020, 1, 1)) is None


@settings(max_examples=400)
@given(st.lists(VOCAB, max_size=9).map(" ".join))
def test_parse_retention_is_total_on_plan_words(text: str) -> None:
    rule = parse_retention(text)
    json.dumps(rule.to_dict())
    due = due_date(rule, date(2020, 1, 1))
    assert due is None or rule.due_trigger is not None
    if rule.action is Action.KEEP or not rule.recognised or rule.see_notes:
        assert due is None


@given(st.one_of(st.none(), st.text()), st.one_of(st.none(), st.text()))
def test_other_parsers_are_total(action: str | None, period: str | None) -> None:
    json.dumps(parse_retention_columns(action, period).to_dict())
    json.dumps(parse_delivery(action).to_dict())


@given(DATES, DATES, PERIODS, ROUNDINGS)
def test_add_period_is_monotonic(a: date, b: date, period: Period, rounding: Rounding) -> None:
    lo, hi = min(a, b), max(a, b)
    assert add_period(lo, period, rounding) <= add_period(hi, period, rounding)
    assert add_period(lo, period, rounding) >= lo


@given(DATES, st.integers(min_value=0, max_value=400))
def test_calendar_years_always_land_on_1_january(start: date, amount: int) -> None:
    due = add_period(start, Period(amount, Y), Rounding.CALENDAR_YEAR_END)
    assert (due.month, due.day) == (1, 1)
    assert due.year == start.year + amount + 1


@given(DATES, PERIODS)
def test_calendar_rounding_counts_from_the_next_new_year(start: date, period: Period) -> None:
    due = add_period(start, period, Rounding.CALENDAR_YEAR_END)
    assert due == add_period(date(start.year + 1, 1, 1), period, Rounding.EXACT)


@given(DATES, st.integers(min_value=0, max_value=1200))
def test_month_addition_clamps(start: date, months: int) -> None:
    due = add_period(start, Period(months, M), Rounding.EXACT)
    assert (due.year * 12 + due.month) - (start.year * 12 + start.month) == months
    assert due.day <= start.day
    if start.day <= 28:
        assert due.day == start.day


@given(DATES, st.integers(min_value=0, max_value=400))
def test_exact_years_keep_the_date_or_clamp_29_february(start: date, years: int) -> None:
    due = add_period(start, Period(years, Y), Rounding.EXACT)
    assert due.year == start.year + years
    if (start.month, start.day) == (2, 29) and due.day != 29:
        assert (due.month, due.day) == (2, 28)
    else:
        assert (due.month, due.day) == (start.month, start.day)


@given(DATES, st.integers(min_value=0, max_value=2000), st.sampled_from([W, DD]))
def test_weeks_and_days_are_exact(start: date, amount: int, unit: Unit) -> None:
    days = amount * 7 if unit is W else amount
    assert add_period(start, Period(amount, unit), Rounding.EXACT) == start + timedelta(days)


# --------------------------------------------------------------------------- round trips

WORD = st.text(alphabet="xyzqw", min_size=2, max_size=8)
KNOWN = st.sampled_from([t for t in Trigger if t is not Trigger.CUSTOM])


def _rounding_for(period: Period | None, calendar_year: bool) -> Rounding:
    if calendar_year or (period is not None and period.unit is Unit.YEARS):
        return Rounding.CALENDAR_YEAR_END
    return Rounding.EXACT


@st.composite
def rules(draw: st.DrawFn) -> RetentionRule:
    kind = draw(st.sampled_from(["keep", "dispose", "event", "review", "conditional"]))
    calendar_year = draw(st.booleans())
    if kind == "keep":
        return RetentionRule(raw="", action=Action.KEEP)
    if kind in ("dispose", "event"):
        period = draw(PERIODS) if kind == "dispose" else None
        custom = draw(st.booleans())
        trigger = Trigger.CUSTOM if custom else draw(KNOWN)
        return RetentionRule(
            raw="", action=Action.DISPOSE, period=period, trigger=trigger,
            trigger_text=f"att {draw(WORD)}" if custom else None,
            rounding=_rounding_for(period, calendar_year))
    if kind == "review":
        cap = draw(st.one_of(st.none(), PERIODS))
        cap_trigger = draw(KNOWN) if cap is not None else None
        return RetentionRule(raw="", action=Action.REVIEW, cap=cap, cap_trigger=cap_trigger,
                             rounding=_rounding_for(cap, calendar_year) if cap else
                             Rounding.CALENDAR_YEAR_END)
    period = draw(st.one_of(st.none(), PERIODS))
    when: Trigger | None = draw(KNOWN if period is not None else st.one_of(st.none(), KNOWN))
    return RetentionRule(
        raw="", action=Action.REVIEW, period=period, trigger=when,
        rounding=_rounding_for(period, calendar_year) if when else Rounding.CALENDAR_YEAR_END,
        condition_text=f"om {draw(WORD)}")


def _essence(rule: RetentionRule) -> tuple[object, ...]:
    return (rule.action, rule.period, rule.trigger, rule.trigger_text, rule.cap,
            rule.cap_trigger, rule.condition_text, rule.recognised,
            rule.rounding if (rule.period or rule.cap or rule.trigger) else None)


@settings(max_examples=300)
@given(rules())
def test_parse_describe_round_trips(rule: RetentionRule) -> None:
    text = rule.describe()
    assert _essence(parse_retention(text)) == _essence(rule), text
    assert parse_retention(text).describe() == text


@given(rules())
def test_stored_rule_reads_back_exactly(rule: RetentionRule) -> None:
    """The registry keeps rules as JSON (``to_dict``); disposal reads them back."""
    assert RetentionRule.from_dict(rule.to_dict()) == rule
    parsed = parse_retention(rule.describe())
    assert RetentionRule.from_dict(json.loads(json.dumps(parsed.to_dict()))) == parsed


@st.composite
def deliveries(draw: st.DrawFn) -> DeliveryRule:
    if draw(st.booleans()):
        return DeliveryRule(raw="", never=True)
    period = draw(st.one_of(st.none(), PERIODS))
    trigger = draw(KNOWN) if period is None else draw(st.sampled_from(Trigger))
    text = f"att {draw(WORD)}" if trigger is Trigger.CUSTOM else None
    return DeliveryRule(raw="", period=period, trigger=trigger, trigger_text=text,
                        rounding=_rounding_for(period, draw(st.booleans())))


@settings(max_examples=200)
@given(deliveries())
def test_delivery_describe_round_trips(rule: DeliveryRule) -> None:
    back = parse_delivery(rule.describe())
    assert (back.period, back.never, back.trigger, back.trigger_text, back.rounding,
            back.recognised) == (rule.period, rule.never, rule.trigger, rule.trigger_text,
                                 rule.rounding, True), rule.describe()
