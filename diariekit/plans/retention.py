"""Retention rules (gallringsregler) and delivery deadlines (leveransfrister) of a plan.

The grammar is domain.md §1.3. Parsing is total: :func:`parse_retention` and
:func:`parse_delivery` never raise, and the text as written is always kept in ``raw``.

Choices where the issue and decisions.md leave room:

* An empty cell (or a lone ``-``) is a recognised **keep** (bevaras): no disposal
  decision, no disposal (arkivlagen 10 §).
* Text the grammar does not know is ``action=REVIEW, recognised=False`` with an English
  ``problem``; callers treat it as bevaras and ``plan validate`` reports it as an error.
  ``Gallras``/``G`` without a period is ``DISPOSE, recognised=False``.
* ``Vid inaktualitet`` and conditional rules (``Gallras om …``) are recognised
  ``REVIEW`` rules: a person judges each item. A cap (``dock senast 2 år``) gives a date.
* ``Se anmärkning`` is a recognised ``REVIEW`` with ``see_notes=True``.
* ``efter <free text>`` is a recognised ``CUSTOM`` trigger; diariekit records no such
  event, so a CUSTOM rule never gets a due date on its own.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What happens to a record type: keep (bevaras), dispose (gallras) or judge (prövas)."""

    KEEP = "keep"
    DISPOSE = "dispose"
    REVIEW = "review"


class Unit(StrEnum):
    """Unit of a period (år, mån, veckor, dagar)."""

    YEARS = "years"
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"


class Trigger(StrEnum):
    """The event a period counts from (utgångspunkt för gallringsfristen)."""

    DOCUMENT_DATE = "document_date"
    REGISTERED = "registered"
    CASE_CLOSED = "case_closed"
    LAST_ENTRY = "last_entry"
    EMPLOYMENT_END = "employment_end"
    DEATH = "death"
    DECISION_FINAL = "decision_final"
    TRANSFERRED = "transferred"
    SCAN_VERIFIED = "scan_verified"
    AUDIT_DISCHARGED = "audit_discharged"
    CUSTOM = "custom"


class Rounding(StrEnum):
    """Count from the end of the trigger's calendar year (kalenderårsskiftet) or exactly."""

    CALENDAR_YEAR_END = "calendar_year_end"
    EXACT = "exact"


# Years beyond this are a typo, and would overflow ``datetime.date``.
_MAX_YEARS = 500
_UNIT_WORDS = {Unit.YEARS: ("år", "år"), Unit.MONTHS: ("mån", "mån"),
               Unit.WEEKS: ("vecka", "veckor"), Unit.DAYS: ("dag", "dagar")}


@dataclass(frozen=True)
class Period:
    """A length of time: a retention period (gallringsfrist) or delivery deadline."""

    amount: int
    unit: Unit

    def __post_init__(self) -> None:
        if self.amount < 0:
            raise ValueError(f"a period cannot be negative: {self.amount}")

    def describe(self) -> str:
        """Swedish short form: ``5 år``, ``3 mån``, ``1 vecka``, ``10 dagar``."""
        one, many = _UNIT_WORDS[Unit(self.unit)]
        return f"{self.amount} {one if self.amount == 1 else many}"

    def to_dict(self) -> dict[str, object]:
        return {"amount": self.amount, "unit": Unit(self.unit).value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | None) -> Period | None:
        """The inverse of :meth:`to_dict` (``None`` stays ``None``)."""
        if not data:
            return None
        return cls(int(data["amount"]), Unit(data["unit"]))


_ZERO = Period(0, Unit.DAYS)

# --------------------------------------------------------------------------- phrases

# How describe() writes each trigger after "efter", and after "kalenderår då".
_EVENT_PHRASE = {
    Trigger.DOCUMENT_DATE: "upprättande",
    Trigger.REGISTERED: "registrering",
    Trigger.CASE_CLOSED: "ärendets avslut",
    Trigger.LAST_ENTRY: "sista anteckning",
    Trigger.EMPLOYMENT_END: "avslutad anställning",
    Trigger.DEATH: "personens död",
    Trigger.DECISION_FINAL: "laga kraft",
    Trigger.TRANSFERRED: "leverans",
    Trigger.SCAN_VERIFIED: "skanning",
    Trigger.AUDIT_DISCHARGED: "revision",
}
_DA_PHRASE = {
    Trigger.DOCUMENT_DATE: "handlingen upprättades",
    Trigger.REGISTERED: "handlingen registrerades",
    Trigger.CASE_CLOSED: "ärendet avslutades",
    Trigger.LAST_ENTRY: "sista anteckningen gjordes",
    Trigger.EMPLOYMENT_END: "anställningen upphörde",
    Trigger.DEATH: "personen avled",
    Trigger.DECISION_FINAL: "beslutet vann laga kraft",
    Trigger.TRANSFERRED: "handlingarna levererades",
    Trigger.SCAN_VERIFIED: "handlingen skannades",
    Trigger.AUDIT_DISCHARGED: "ansvarsfrihet beviljades",
}


def _default_rounding(period: Period | None) -> Rounding:
    if period is not None and period.unit == Unit.YEARS:
        return Rounding.CALENDAR_YEAR_END
    return Rounding.EXACT


def _when_text(period: Period | None, trigger: Trigger | None, trigger_text: str | None,
               rounding: Rounding) -> str:
    """``5 år efter ärendets avslut``; the trigger is left out when it is the default."""
    parts = [period.describe()] if period is not None else []
    custom = trigger_text or "okänd händelse"
    if trigger is None:
        pass
    elif rounding != _default_rounding(period) and rounding == Rounding.CALENDAR_YEAR_END:
        parts.append("efter utgången av det kalenderår då " + _DA_PHRASE.get(trigger, custom))
    elif trigger != Trigger.DOCUMENT_DATE or period is None:
        parts.append("efter " + _EVENT_PHRASE.get(trigger, custom))
    return " ".join(parts)


# --------------------------------------------------------------------------- rule


@dataclass(frozen=True)
class RetentionRule:
    """A retention rule (gallringsregel) parsed from a plan cell, with the text as written.

    ``trigger_text`` is the free text of a CUSTOM ``trigger`` or ``cap_trigger``.
    ``condition_text`` holds a condition (``om …``) or, on a ``vid inaktualitet`` rule, an
    earliest point (``dock tidigast …``). ``rounding`` defaults per unit (years: calendar
    year; others: exact) unless the text says ``efter utgången av det kalenderår …``.
    An unrecognised rule is never disposed of: callers treat it as bevaras.
    """

    raw: str
    action: Action
    period: Period | None = None
    trigger: Trigger | None = None
    trigger_text: str | None = None
    rounding: Rounding = Rounding.CALENDAR_YEAR_END
    cap: Period | None = None
    cap_trigger: Trigger | None = None
    condition_text: str | None = None
    recognised: bool = True
    problem: str | None = None
    see_notes: bool = False

    @property
    def conditional(self) -> bool:
        """True for ``Gallras om …``: the condition is confirmed per item."""
        return self.condition_text is not None and bool(_COND_START_RE.match(self.condition_text))

    @property
    def disposes(self) -> bool:
        """True for a recognised, unconditional disposal that diariekit can date by itself."""
        return (self.recognised and self.action == Action.DISPOSE and not self.see_notes
                and self.trigger is not None and self.trigger != Trigger.CUSTOM)

    @property
    def due_trigger(self) -> Trigger | None:
        """The event whose date :func:`due_date` expects (the cap's for a capped review)."""
        if not self.recognised or self.see_notes:
            return None
        if self.action == Action.DISPOSE:
            return self.trigger
        if self.action == Action.REVIEW and self.cap is not None and not self.conditional:
            return self.cap_trigger
        return None

    def describe(self) -> str:
        """Short normalised Swedish: ``bevaras``, ``gallras 5 år efter ärendets avslut`` …"""
        if not self.recognised:
            if self.action == Action.DISPOSE and self.period is None:
                return "gallras (gallringsfrist saknas)"
            return f"ej tolkad: {self.raw}"
        if self.see_notes:
            return "se anmärkning"
        if self.action == Action.KEEP:
            return "bevaras"
        if self.action == Action.REVIEW and not self.conditional:
            text = "gallras vid inaktualitet"
            if self.cap is not None:
                text += ", dock senast " + _when_text(
                    self.cap, self.cap_trigger, self.trigger_text, self.rounding)
            if self.condition_text:
                text += ", " + self.condition_text
            return text
        when = _when_text(self.period, self.trigger, self.trigger_text, self.rounding)
        parts = ["gallras", when, self.condition_text or ""]
        return " ".join(p for p in parts if p)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form; enums as their values."""
        return {
            "raw": self.raw,
            "action": Action(self.action).value,
            "period": self.period.to_dict() if self.period else None,
            "trigger": Trigger(self.trigger).value if self.trigger else None,
            "trigger_text": self.trigger_text,
            "rounding": Rounding(self.rounding).value,
            "cap": self.cap.to_dict() if self.cap else None,
            "cap_trigger": Trigger(self.cap_trigger).value if self.cap_trigger else None,
            "condition_text": self.condition_text,
            "recognised": self.recognised,
            "problem": self.problem,
            "see_notes": self.see_notes,
            "description": self.describe(),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RetentionRule:
        """The inverse of :meth:`to_dict`, for rules stored in the registry as JSON."""
        def enum(kind: type[Trigger], key: str) -> Trigger | None:
            value = data.get(key)
            return kind(value) if value else None

        return cls(
            raw=str(data.get("raw") or ""),
            action=Action(data["action"]),
            period=Period.from_dict(data.get("period")),
            trigger=enum(Trigger, "trigger"),
            trigger_text=data.get("trigger_text"),
            rounding=Rounding(data.get("rounding") or Rounding.CALENDAR_YEAR_END),
            cap=Period.from_dict(data.get("cap")),
            cap_trigger=enum(Trigger, "cap_trigger"),
            condition_text=data.get("condition_text"),
            recognised=bool(data.get("recognised", True)),
            problem=data.get("problem"),
            see_notes=bool(data.get("see_notes", False)),
        )


@dataclass(frozen=True)
class DeliveryRule:
    """A delivery deadline (leveransfrist) to the archive; never a retention period.

    Empty text is recognised with no deadline; ``never`` is ``Ej``/``Levereras ej``.
    ``trigger``/``trigger_text``/``rounding`` extend the issue's interface so that
    ``1 år efter ärendets avslut`` loses nothing.
    """

    raw: str
    period: Period | None = None
    never: bool = False
    recognised: bool = True
    problem: str | None = None
    trigger: Trigger | None = None
    trigger_text: str | None = None
    rounding: Rounding = Rounding.CALENDAR_YEAR_END

    def describe(self) -> str:
        """Short Swedish: ``levereras 5 år``, ``levereras ej``, ``ingen leveransfrist``."""
        if not self.recognised:
            return f"ej tolkad: {self.raw}"
        if self.never:
            return "levereras ej"
        if self.period is None and self.trigger is None:
            return "ingen leveransfrist"
        return "levereras " + _when_text(self.period, self.trigger, self.trigger_text,
                                         self.rounding)

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form; enums as their values."""
        return {
            "raw": self.raw,
            "period": self.period.to_dict() if self.period else None,
            "never": self.never,
            "trigger": Trigger(self.trigger).value if self.trigger else None,
            "trigger_text": self.trigger_text,
            "rounding": Rounding(self.rounding).value,
            "recognised": self.recognised,
            "problem": self.problem,
            "description": self.describe(),
        }


# --------------------------------------------------------------------------- lexicon

_I = re.IGNORECASE
_END = r"(?!\w)"
_NUMBER_WORDS = {
    "en": 1, "ett": 1, "två": 2, "tre": 3, "fyra": 4, "fem": 5, "sex": 6, "sju": 7,
    "åtta": 8, "nio": 9, "tio": 10, "elva": 11, "tolv": 12, "femton": 15, "tjugo": 20,
    "trettio": 30, "fyrtio": 40, "femtio": 50, "sextio": 60, "sjuttio": 70,
}
_NUMBER_ALT = "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
_PERIOD = (
    rf"(?:(?P<digits>[0-9]{{1,4}})\s*|(?P<word>{_NUMBER_ALT})\s+)"
    r"(?:(?P<years>kalenderår|år)|(?P<months>månader|månad|mån)|(?P<weeks>veckor|vecka|v)"
    r"|(?P<days>dagar|dag|d))(?:\.|(?!\w))"
)

_KEEP_RE = re.compile(r"(?:bevaras|bevara|b)(?![^\W\d_])", _I)
_DISPOSE_RE = re.compile(
    r"(?:(?:kan|får|ska|skall)\s+)?(?:gallras|gallra|gallring(?:\s+sker)?|g)(?![^\W\d_])"
    r"[\s,:;-]*", _I)
_DISPOSE_WORD_RE = re.compile(r"(?<!\w)(?:gallr\w*|g)(?![^\W\d_])", _I)
_PERIOD_RE = re.compile(r"(?:(?:tidigast|minst)\s+)?(?:efter\s+)?" + _PERIOD, _I)
_BARE_PERIOD_RE = re.compile(_PERIOD, _I)
_DELIVERY_WORD_RE = re.compile(r"(?:levereras|leverans|lev\.?)(?!\w)", _I)
_ARCHIVE_RE = re.compile(r"[\s,]*till\s+(?:[\w-]+\s+)?[\w-]*arkiv\w*", _I)
_INAKTUAL_RE = re.compile(
    r"(?:(?:(?:vid|efter)\s+)?inaktualitet(?:en)?"
    r"|(?:när|då)\s+(?:\w+\s+)?(?:(?:är|blir|blivit|har\s+blivit)\s+)?inaktuell[at]?"
    r"|(?:när|då)\s+(?:\w+\s+)?(?:inte|ej)\s+längre\s+(?:behövs|är\s+aktuell[at]?)"
    r"|(?:när|då)\s+behov(?:et)?\s+(?:inte|ej)\s+längre\s+finns)" + _END, _I)
_COND_WORDS = (r"(?:om|förutsatt\s+att|under\s+förutsättning\s+att|såvida|ifall|i\s+de\s+fall"
               r"|endast\s+om|utom\s+(?:om|när))" + _END)
_COND_START_RE = re.compile(_COND_WORDS, _I)
_COND_SPLIT_RE = re.compile(r"[\s,;]+(?=" + _COND_WORDS + ")", _I)
_CAP_RE = re.compile(r"[\s,;]*(?:(?:men|dock|och)\s+)?(?:senast|längst|högst)\s+"
                     r"(?:(?:efter|inom)\s+)?", _I)
_FLOOR_RE = re.compile(r"[\s,;]*(?P<floor>(?:(?:men|dock|och)\s+)?(?:tidigast|minst)" + _END
                       + ".*)", _I | re.DOTALL)
_FROM_RE = re.compile(r"[\s,;]*(?:räknat\s+)?(?:efter|från|fr\.?\s*o\.?\s*m\.?)\s+(?P<event>.+)",
                      _I | re.DOTALL)
_EVENT_ONLY_RE = re.compile(r"(?P<intro>efter|när|vid|då)\s+(?P<event>.+)", _I | re.DOTALL)
_CALENDAR_RE = re.compile(
    r"(?:utgången\s+av|slutet\s+av)\s+(?:det\s+)?(?:kalender)?år(?:et)?"
    r"|(?:kalender)?årets\s+(?:utgång|slut)|årsskiftet", _I)
_CALENDAR_WHICH_RE = re.compile(r"\s+(?:då|när|under\s+vilket|i\s+vilket)\s+(?P<event>.+)",
                                _I | re.DOTALL)
_SEE_NOTES_RE = re.compile(
    r"(?<!\w)(?:se|enl(?:igt|\.)?)\s+(?:anm(?:ärkning(?:en|ar)?|\.)?|kommentar(?:en|er)?"
    r"|not(?:en|er)?|nedan|bilaga)(?!\w)|^anm(?:ärkning)?\.?$", _I)

_SUBJ = r"(?:handlingen|handlingarna|den|de|det|akten)"
_EVENTS: tuple[tuple[Trigger, re.Pattern[str]], ...] = tuple(
    (trigger, re.compile(pattern, _I)) for trigger, pattern in (
        (Trigger.CASE_CLOSED,
         r"(?:ärendets|ärendes)\s+(?:avslut|avslutande|slut)|avslutat\s+ärende|avslut(?:et)?"
         r"|avslutning|(?:att\s+)?ärendet\s+(?:har\s+)?"
         r"(?:avslutats|avslutades|avslutas|är\s+avslutat|stängts|stängdes)"),
        (Trigger.EMPLOYMENT_END,
         r"avslutad\s+anställning|anställningens\s+(?:upphörande|slut|avslut|avslutande)"
         r"|(?:att\s+)?anställningen\s+(?:har\s+)?(?:upphört|upphörde|avslutats|avslutades)"),
        (Trigger.LAST_ENTRY,
         r"(?:den\s+)?(?:sista|senaste)\s+anteckning(?:en)?"
         r"(?:\s+(?:gjordes|gjorts|har\s+gjorts))?(?:\s+i\s+akten)?"),
        (Trigger.DEATH,
         r"(?:(?:personens|den\s+enskildes|den\s+registrerades|individens|den\s+avlidnes)\s+)?"
         r"död|dödsfall(?:et)?|(?:att\s+)?(?:personen|den\s+enskilde)\s+(?:har\s+)?"
         r"(?:avlidit|avled|dött|dog)"),
        (Trigger.DECISION_FINAL,
         r"(?:(?:att\s+)?(?:protokollet|beslutet|domen)\s+(?:har\s+)?(?:vunnit|vann)\s+)?"
         r"laga\s+kraft|laga\s*kraft\s*vunnet\s+beslut"),
        (Trigger.TRANSFERRED,
         r"(?:genomförd\s+|godkänd\s+|kvitterad\s+)?leverans(?:en)?"
         r"(?:\s+till\s+(?:[\w-]+\s+)?[\w-]+)?"
         rf"|(?:att\s+)?(?:{_SUBJ}\s+)?(?:har\s+)?(?:levererats|levererades)"
         r"(?:\s+till\s+(?:[\w-]+\s+)?[\w-]+)?"),
        (Trigger.SCAN_VERIFIED,
         r"(?:kontrollerad\s+|verifierad\s+|godkänd\s+)?(?:in)?s[ck]anning(?:en)?"
         r"(?:\s+(?:och|samt)\s+kontroll)?|digitalisering(?:en)?"
         rf"|(?:att\s+)?(?:{_SUBJ}\s+)?(?:har\s+)?(?:s[ck]annats|s[ck]annades)(?:\s+in)?"
         r"(?:\s+och\s+kontrollerats)?"),
        (Trigger.AUDIT_DISCHARGED,
         r"rev\.?|revision(?:en)?|(?:beviljad\s+)?ansvarsfrihet(?:en)?"
         r"|(?:att\s+)?ansvarsfrihet\s+(?:har\s+)?(?:beviljats|beviljades)"),
        (Trigger.REGISTERED,
         r"registrering(?:en)?|diarieföring(?:en)?|registreringsdatum"
         rf"|(?:att\s+)?{_SUBJ}\s+(?:har\s+)?(?:registrerats|registrerades|diarieförts)"),
        (Trigger.DOCUMENT_DATE,
         r"upprättande(?:t)?|handlingens\s+(?:datum|upprättande|tillkomst)"
         r"|handlingsdatum|dokumentdatum|inkomstdatum"
         rf"|(?:att\s+)?{_SUBJ}\s+(?:har\s+)?"
         r"(?:upprättats|upprättades|inkom|inkommit|kom\s+in|kommit\s+in|skapades)"),
    ))

_EXAMPLES = "'Bevaras', 'G 5 år', '2 år efter ärendets avslut', 'Vid inaktualitet'"


# --------------------------------------------------------------------------- helpers


def _clean(text: str) -> str:
    """Fold the noise of exported plans: soft hyphens, NBSP, dashes, brackets, end dots."""
    s = re.sub("[\u00ad\u200b\u200c\u200d\u2060\ufeff]", "", text)
    s = re.sub("[\u2010\u2011\u2012\u2013\u2014\u2212]", "-", s)
    s = re.sub(r"\s*\(\s*", ", ", s)
    s = re.sub(r"\s*\)\s*", " ", s)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s+([,;])", r"\1", s)
    s = s.strip("\"'“”„«»` ,;:-")
    s = re.sub(r"[\s.,;:*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+$", "", s)
    return s.strip()


def _unrecognised(raw: str, problem: str, action: Action = Action.REVIEW) -> RetentionRule:
    return RetentionRule(raw=raw, action=action, recognised=False, problem=problem)


def _period_from(m: re.Match[str]) -> Period:
    digits, word = m.group("digits"), m.group("word")
    if digits is not None:
        amount = int(digits)
    else:  # the regex matched case-insensitively, so compare the same way
        amount = next(n for w, n in _NUMBER_WORDS.items() if re.fullmatch(w, word, _I))
    unit = next(u for u in Unit if m.group(u.name.lower()) is not None)
    return Period(amount, unit)


@dataclass(frozen=True)
class _When:
    """What a period counts from, as read from the text after it."""

    trigger: Trigger
    trigger_text: str | None = None
    calendar: bool = False
    condition: str | None = None


def _known_event(text: str) -> Trigger | None:
    for trigger, pattern in _EVENTS:
        if pattern.fullmatch(text):
            return trigger
    return None


def _parse_event(text: str, *, allow_custom: bool) -> _When | None:
    """An event (``ärendets avslut``, ``utgången av det kalenderår då …``, free text),
    optionally followed by a condition (``… om …``)."""
    text = text.strip(" ,;")
    when = _plain_event(text, allow_custom=False)
    if when is not None:
        return when
    for split in _COND_SPLIT_RE.finditer(text):
        head = _plain_event(text[:split.start()], allow_custom=False)
        if head is not None:
            return replace(head, condition=text[split.end():])
    if not allow_custom:
        return None
    when = _plain_event(text, allow_custom=True)  # "kalenderår då <free text>"
    if when is None and _custom_ok(text):
        when = _When(Trigger.CUSTOM, text)
    return when


def _plain_event(text: str, *, allow_custom: bool) -> _When | None:
    cal = _CALENDAR_RE.match(text)
    if cal is None:
        known = _known_event(text)
        return _When(known) if known is not None else None
    rest = text[cal.end():]
    if not rest.strip():
        return _When(Trigger.DOCUMENT_DATE, calendar=True)
    which = _CALENDAR_WHICH_RE.fullmatch(rest)
    if which is None:
        return None
    event = which.group("event").strip()
    known = _known_event(event)
    if known is not None:
        return _When(known, calendar=True)
    if allow_custom and _custom_ok(event):
        return _When(Trigger.CUSTOM, event, calendar=True)
    return None


def _custom_ok(text: str) -> bool:
    """Free event text must start with a word: a digit there is a malformed period."""
    return re.match(r"[^\W\d_]{2,}", text) is not None


def _parse_after_period(tail: str) -> _When | str:
    """The text after a period: nothing, a condition, or ``efter``/``från`` an event."""
    t = tail.strip(" ,;")
    if not t:
        return _When(Trigger.DOCUMENT_DATE)
    if _COND_START_RE.match(t):
        return _When(Trigger.DOCUMENT_DATE, condition=t)
    m = _FROM_RE.fullmatch(t)
    if m:
        when = _parse_event(m.group("event"), allow_custom=True)
        if when is not None:
            return when
    return f"'{t}' after the period is not understood"


def _check_period(period: Period) -> str | None:
    per_year = {Unit.YEARS: 1, Unit.MONTHS: 12, Unit.WEEKS: 52, Unit.DAYS: 365}
    if period.amount > _MAX_YEARS * per_year[Unit(period.unit)]:
        return f"a period of {period.describe()} is implausibly long"
    return None


# --------------------------------------------------------------------------- parsers


def parse_retention(text: str | None) -> RetentionRule:
    """Parse a retention cell (gallringsfrist) into a rule; never raises."""
    raw = "" if text is None else text.strip()
    s = _clean(raw)
    if not s:
        return RetentionRule(raw=raw, action=Action.KEEP)
    notes = _SEE_NOTES_RE.search(s)
    if notes:
        rest = _clean(s[:notes.start()] + " " + s[notes.end():])
        inner = _parse_core(raw, rest) if rest else None
        if inner is not None and inner.recognised and inner.action != Action.KEEP:
            return replace(inner, action=Action.REVIEW, see_notes=True)
        return RetentionRule(raw=raw, action=Action.REVIEW, see_notes=True)
    return _parse_core(raw, s)


def _parse_core(raw: str, s: str) -> RetentionRule:
    keep = _KEEP_RE.match(s)
    if keep:
        return _parse_keep(raw, s[keep.end():])
    dispose = _DISPOSE_RE.match(s)
    rest = s[dispose.end():] if dispose else s
    if not rest:
        return _unrecognised(
            raw, "disposal (gallras) without a retention period (gallringsfrist)", Action.DISPOSE)

    inaktual = _INAKTUAL_RE.match(rest)
    if inaktual:
        return _parse_inaktual(raw, rest[inaktual.end():])
    if dispose and _COND_START_RE.match(rest):
        return RetentionRule(raw=raw, action=Action.REVIEW, condition_text=rest)

    period_m = _PERIOD_RE.match(rest)
    if period_m:
        period = _period_from(period_m)
        too_long = _check_period(period)
        if too_long:
            return _unrecognised(raw, too_long)
        when = _parse_after_period(rest[period_m.end():])
        if isinstance(when, str):
            return _unrecognised(raw, when)
        return _rule_from(raw, period, when)

    event_m = _EVENT_ONLY_RE.fullmatch(rest)
    if event_m:
        allow_custom = event_m.group("intro").lower() == "efter"
        when_or_none = _parse_event(event_m.group("event"), allow_custom=allow_custom)
        if when_or_none is not None:
            return _rule_from(raw, None, when_or_none)
    if _known_event(rest) == Trigger.AUDIT_DISCHARGED and rest.lower().startswith("rev"):
        return _rule_from(raw, None, _When(Trigger.AUDIT_DISCHARGED))
    return _unrecognised(raw, f"not a retention rule diariekit understands (e.g. {_EXAMPLES})")


def _rule_from(raw: str, period: Period | None, when: _When) -> RetentionRule:
    rounding = Rounding.CALENDAR_YEAR_END if when.calendar else _default_rounding(period)
    problem = None
    if when.trigger == Trigger.CUSTOM:
        problem = (f"counts from '{when.trigger_text}', an event diariekit does not record: "
                   "a person must supply the date")
    return RetentionRule(
        raw=raw,
        action=Action.REVIEW if when.condition else Action.DISPOSE,
        period=period,
        trigger=when.trigger,
        trigger_text=when.trigger_text,
        rounding=rounding,
        condition_text=when.condition,
        problem=problem,
    )


def _parse_keep(raw: str, tail: str) -> RetentionRule:
    t = tail.strip(" ,;:./-")
    if not t or _DELIVERY_WORD_RE.match(t) or _ARCHIVE_RE.match(t):
        return RetentionRule(raw=raw, action=Action.KEEP)
    if _DISPOSE_WORD_RE.search(t):
        return _unrecognised(raw, "says both keep (bevaras) and dispose (gallras)")
    if re.search(r"[0-9]", t) or _BARE_PERIOD_RE.search(t):
        return _unrecognised(
            raw, f"says keep (bevaras) but also '{t}'; a period belongs to a disposal (gallras)")
    # "Bevaras i original", "Bevaras digitalt": still keep.
    return RetentionRule(raw=raw, action=Action.KEEP)


def _parse_inaktual(raw: str, tail: str) -> RetentionRule:
    """``vid inaktualitet`` [``, dock senast 2 år …``] [``, dock tidigast …``]."""
    review = RetentionRule(raw=raw, action=Action.REVIEW)
    if not tail.strip(" ,;"):
        return review
    cap_m = _CAP_RE.match(tail)
    if cap_m:
        period_m = _BARE_PERIOD_RE.match(tail, cap_m.end())
        if period_m:
            cap = _period_from(period_m)
            too_long = _check_period(cap)
            if too_long:
                return _unrecognised(raw, too_long)
            when = _parse_after_period(tail[period_m.end():])
            if isinstance(when, str):
                return _unrecognised(raw, when)
            if when.condition is None:
                return replace(
                    review, cap=cap, cap_trigger=when.trigger, trigger_text=when.trigger_text,
                    rounding=(Rounding.CALENDAR_YEAR_END if when.calendar
                              else _default_rounding(cap)))
    floor = _FLOOR_RE.fullmatch(tail)
    if floor:
        return replace(review, condition_text=floor.group("floor").strip())
    return _unrecognised(raw, f"'{tail.strip(' ,;')}' after 'vid inaktualitet' is not understood")


def parse_retention_columns(action: str | None, period: str | None) -> RetentionRule:
    """Combine a ``Bevaras/Gallras`` column with a ``Gallringsfrist`` column.

    ``G`` + ``5 år`` → dispose 5 years; ``B`` + empty → keep; empty + ``2 år`` → dispose;
    ``B`` + ``5 år`` → unrecognised (contradictory), so treated as bevaras.
    """
    a = _clean(action or "")
    p = _clean(period or "")
    if not a:
        return parse_retention(period)
    if not p:
        return parse_retention(action)
    raw = f"{(action or '').strip()} {(period or '').strip()}"
    if _KEEP_RE.fullmatch(a):
        inner = parse_retention(period)
        if inner.see_notes:
            return replace(inner, raw=raw)
        if inner.action == Action.KEEP or _DELIVERY_WORD_RE.match(p):
            return RetentionRule(raw=raw, action=Action.KEEP)
        return _unrecognised(raw, f"the action column says keep (bevaras) but the period column "
                                  f"says '{p}'; which applies?")
    if _DISPOSE_RE.fullmatch(a):
        if _KEEP_RE.match(p):
            return _unrecognised(raw, f"the action column says dispose (gallras) but the period "
                                      f"column says '{p}'; which applies?")
        text = p if _DISPOSE_RE.match(p) else f"gallras {p}"
        return replace(parse_retention(text), raw=raw)
    return replace(parse_retention(f"{a} {p}"), raw=raw)


_NEVER_RE = re.compile(
    r"(?:ej|nej|inte|ingen(?:\s+leverans)?|ej\s+leverans|ej\s+aktuellt"
    r"|(?:levereras|lev\.?)\s+(?:ej|inte)|(?:ska\s+|skall\s+)?(?:ej|inte)\s+levereras"
    r"|gallras)(?:[\s,;]+(?:gallras|levereras\s+ej)(?!\w).*)?", _I | re.DOTALL)
_DELIVERY_LEAD_RE = re.compile(
    r"(?:(?:levereras|leverans|lev\.?)(?!\w)(?:" + _ARCHIVE_RE.pattern + r")?[\s,:;]*)?", _I)
_DELIVERY_WHEN_RE = re.compile(r"(?:(?:efter|inom|senast|tidigast)\s+)?" + _PERIOD, _I)


def parse_delivery(text: str | None) -> DeliveryRule:
    """Parse a delivery deadline (leveransfrist) such as ``5 år``, ``Ej``; never raises.

    Empty means no deadline stated; a lone dash means never delivered, like ``Ej``.
    """
    raw = "" if text is None else text.strip()
    s = _clean(raw)
    if not s:
        dashes = re.fullmatch(r"[-\u2010-\u2015\u2212]+", raw)
        return DeliveryRule(raw=raw, never=dashes is not None)
    if _NEVER_RE.fullmatch(s):
        return DeliveryRule(raw=raw, never=True)
    if _INAKTUAL_RE.match(s):
        return DeliveryRule(raw=raw, recognised=False, problem=(
            "'vid inaktualitet' gives no delivery deadline; state a period such as '5 år'"))
    lead = _DELIVERY_LEAD_RE.match(s)
    rest = s[lead.end():] if lead else s
    if not rest:
        return DeliveryRule(raw=raw, recognised=False, problem="delivery without a deadline")
    period_m = _DELIVERY_WHEN_RE.match(rest)
    when: _When | str | None
    period = None
    if period_m:
        period = _period_from(period_m)
        tail = rest[period_m.end():]
        archive = _ARCHIVE_RE.match(tail)
        when = _check_period(period) or _parse_after_period(
            tail[archive.end():] if archive else tail)
    else:
        event_m = _EVENT_ONLY_RE.fullmatch(rest)
        when = (_parse_event(event_m.group("event"), allow_custom=False) if event_m else None)
    if when is None:
        return DeliveryRule(raw=raw, recognised=False, problem=(
            "not a delivery deadline diariekit understands (e.g. '5 år', 'Efter 10 år', 'Ej')"))
    if isinstance(when, str):
        return DeliveryRule(raw=raw, recognised=False, problem=when)
    if when.condition is not None:
        return DeliveryRule(raw=raw, recognised=False,
                            problem="a delivery deadline cannot be conditional")
    rounding = Rounding.CALENDAR_YEAR_END if when.calendar else _default_rounding(period)
    return DeliveryRule(raw=raw, period=period, trigger=when.trigger,
                        trigger_text=when.trigger_text, rounding=rounding)


# --------------------------------------------------------------------------- dates


def _add_exact(start: date, period: Period) -> date:
    n = period.amount
    if period.unit == Unit.YEARS:
        year = start.year + n
        return date(year, start.month, min(start.day, calendar.monthrange(year, start.month)[1]))
    if period.unit == Unit.MONTHS:
        months = start.month - 1 + n
        year, month = start.year + months // 12, months % 12 + 1
        return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))
    if period.unit == Unit.WEEKS:
        return start + timedelta(weeks=n)
    return start + timedelta(days=n)


def add_period(start: date, period: Period, rounding: Rounding) -> date:
    """The date ``period`` after ``start``.

    ``CALENDAR_YEAR_END`` counts from the end of ``start``'s calendar year, so years give
    ``date(start.year + amount + 1, 1, 1)`` (Örebro: 2 år on a 2013 document → 2016-01-01).
    ``EXACT`` keeps month and day, clamping to the month's end (31 Jan + 1 mån → 28/29 Feb;
    29 Feb + 1 år → 28 Feb). Raises ``ValueError`` past year 9999.
    """
    try:
        if rounding == Rounding.CALENDAR_YEAR_END:
            if period.unit == Unit.YEARS:
                return date(start.year + period.amount + 1, 1, 1)
            start = date(start.year + 1, 1, 1)
        return _add_exact(start, period)
    except (OverflowError, ValueError) as exc:
        raise ValueError(f"{start.isoformat()} + {period.describe()} is past year 9999") from exc


def due_date(rule: RetentionRule, trigger_date: date) -> date | None:
    """When the rule allows disposal, counted from ``trigger_date`` (the ``due_trigger``'s date).

    ``None`` when the rule keeps, is unrecognised, points at the notes, is conditional,
    needs a person's judgement without a cap, or counts from a CUSTOM event. An event rule
    without a period (``Gallras efter leverans``) is due on the event's date. For
    ``5 år efter sista anteckning`` the calendar-year rule gives 1 January of year + 6,
    which lies inside SoF's window (after 5 years, by the end of the next calendar year).
    """
    trigger = rule.due_trigger
    if trigger is None or trigger == Trigger.CUSTOM:
        return None
    if rule.action == Action.DISPOSE:
        return add_period(trigger_date, rule.period or _ZERO, rule.rounding)
    if rule.cap is not None:
        return add_period(trigger_date, rule.cap, rule.rounding)
    return None


__all__ = [
    "Action", "DeliveryRule", "Period", "RetentionRule", "Rounding", "Trigger", "Unit",
    "add_period", "due_date", "parse_delivery", "parse_retention", "parse_retention_columns",
]
