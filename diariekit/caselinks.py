"""Case links (ärendelänkar): remiss, uppdrag and vidarebefordran, and their follow-up.

The three hand-over cases (ärendesamverkansfall) of [004] (background.md §7.4, domain.md
§2.4), from a case here to another case of the registry or to an outside party:

================  ===========================  ==============================================
kind              legal responsibility         follow-up (bevakning)
================  ===========================  ==============================================
remiss            stays with the sender        the sender awaits a remissvar, by ``due_at``
uppdrag           stays with the sender        the sender awaits an uppdragssvar (klart or
                  (uppdragsgivning)            misslyckat)
vidarebefordran   passes to the recipient      only "med behållet uppföljningsansvar"
                                               (``keeps_followup``): a klarmarkering comes back
================  ===========================  ==============================================

What each operation changes, in one transaction with its events:

* :func:`link_case` stores the link and writes ``remiss_sent``, ``commissioned`` or
  ``forwarded`` on the sending case. A vidarebefordran without kept follow-up closes the case
  here: status ``forwarded``, ``closed_at`` the sending date, closing kind ``överlämnad``
  (and a ``status_changed`` event, as ``case close`` writes). With kept follow-up the case
  stays open under bevakning until the klarmarkering.
* When the recipient is a case of this registry (of any organisation), it gets the
  originator's main case as its ``main_case_id``: the huvudärendenummer that ties a new
  number opened by the receiving unit to the originating one ([004] p. 28). Main cases are
  kept flat: the main case of the originator, or the originator itself; cases that had the
  recipient as their main case move to the new main case. The recipient case gets a
  ``case_linked`` event.
* :func:`answer_link` records the answer (remissvar, uppdragssvar, klarmarkering) with its
  date and, optionally, the registered answer document, and writes ``remiss_answered``,
  ``commission_answered`` or ``forward_completed``. The klarmarkering of a vidarebefordran
  with kept follow-up ends the bevakning: the case is closed as forwarded on that date.

Overdue (försenad): the link awaits an answer (remiss and uppdrag always; vidarebefordran
only with kept follow-up), has none, its ``due_at`` is before the day in question, and the
sending case is still open or dormant (a closed case no longer waits for answers).

Short texts are public (they go to portals and public extracts): they name the recipient
only when the sending case carries no active secrecy marking. The recipient and the note are
always in ``detail``, which may be protected and is withheld from exports under secrecy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from diariekit.cases import CaseRef, resolve_case, resolve_document
from diariekit.clock import today
from diariekit.config import Config
from diariekit.errors import InvalidInputError, PolicyError, UsageError
from diariekit.eventexport import marked_case_ids
from diariekit.events import append_event, current_actor
from diariekit.organisations import organisation_id
from diariekit.registry.engine import connect, write_transaction
from diariekit.registry.schema import case_, case_link, document, new_id
from diariekit.registry.session import open_registry

__all__ = [
    "LINK_KINDS",
    "LinkKind",
    "answer_link",
    "link_case",
    "link_kind",
    "list_links",
    "overdue_links",
]

#: Case statuses in which a case still follows up its links.
ACTIVE_STATUSES = ("open", "dormant")

_FROM = case_.alias("from_case")
_TO = case_.alias("to_case")


@dataclass(frozen=True)
class LinkKind:
    """One kind of case link (ärendelänk) and the words and events that go with it."""

    code: str
    sent_event: str
    answered_event: str
    #: Public short text of the sending event; ``{dnr}`` is the sending case.
    sent_text: str
    answer_text: str
    received_text: str
    #: Remiss and uppdrag always await an answer; vidarebefordran only with kept follow-up.
    always_followed_up: bool


LINK_KINDS: dict[str, LinkKind] = {
    "remiss": LinkKind("remiss", "remiss_sent", "remiss_answered",
                       "Remiss skickad i ärende {dnr}", "Remissvar inkommet", "Remiss mottagen",
                       True),
    "uppdrag": LinkKind("uppdrag", "commissioned", "commission_answered",
                        "Uppdrag lämnat i ärende {dnr}",
                        "Uppdragssvar inkommet", "Uppdrag mottaget", True),
    "vidarebefordran": LinkKind("vidarebefordran", "forwarded", "forward_completed",
                                "Ärende {dnr} vidarebefordrat", "Klarmarkering mottagen",
                                "Vidarebefordrat ärende mottaget", False),
}

_ALIASES = {"uppdragsgivning": "uppdrag", "forward": "vidarebefordran",
            "forwarding": "vidarebefordran", "commission": "uppdrag", "referral": "remiss"}


def link_kind(text: str) -> LinkKind:
    """The link kind named ``text`` (remiss, uppdrag/uppdragsgivning, vidarebefordran)."""
    key = text.strip().casefold()
    key = _ALIASES.get(key, key)
    if key not in LINK_KINDS:
        raise UsageError(f"unknown link kind '{text}': use remiss, uppdrag or vidarebefordran")
    return LINK_KINDS[key]


def _case_row(conn: Connection, case_id: str) -> Any:
    return conn.execute(sa.select(case_).where(case_.c.id == case_id)).one()


def _check_date(value: date, what: str) -> None:
    if value > today():
        raise InvalidInputError(f"{what} {value.isoformat()} is in the future")


def _awaits_answer(kind: str, keeps_followup: bool) -> bool:
    return LINK_KINDS[kind].always_followed_up or keeps_followup


def _is_overdue(kind: str, keeps_followup: bool, due_at: date | None,
                answered_at: date | None, case_status: str, as_of: date) -> bool:
    return (due_at is not None and answered_at is None and due_at < as_of
            and _awaits_answer(kind, keeps_followup) and case_status in ACTIVE_STATUSES)


def _recipient(party: str | None, to_dnr: str | None) -> str:
    if party and to_dnr:
        return f"{party} (ärende {to_dnr})"
    return party or f"ärende {to_dnr}"


def link_case(
    config: Config,
    from_ref: str,
    kind: str,
    *,
    to_ref: str | None = None,
    to_party: str | None = None,
    to_org_id: str | None = None,
    sent_on: date | None = None,
    due_on: date | None = None,
    keeps_followup: bool = False,
    note: str | None = None,
    org_id: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Send a case on: a remiss, an uppdrag or a vidarebefordran (ärendelänk).

    ``to_ref`` is a case of this registry (of organisation ``to_org_id``, default the
    sender's), ``to_party`` an outside party (myndighet, enhet, företag); at least one is
    needed. ``due_on`` is the answer deadline (svar senast). ``keeps_followup`` is
    "vidarebefordran med behållet uppföljningsansvar"; remiss and uppdrag always keep it.
    ``sent_on`` (default today) may not lie in the future nor before the case was opened.
    Returns the link as :func:`list_links` shows it, with the sending case's status and any
    warnings (a recipient case that already has another main case keeps it).
    """
    lk = link_kind(kind)
    party = (to_party or "").strip() or None
    target_text = (to_ref or "").strip() or None
    if party is None and target_text is None:
        raise UsageError("a link needs a recipient: another case (--to-case) or an outside "
                         "party (--to-party)")
    sent = sent_on or today()
    _check_date(sent, "sending date")
    if due_on is not None and due_on < sent:
        raise InvalidInputError(f"answer deadline {due_on.isoformat()} is before the sending "
                                f"date {sent.isoformat()}")
    follow = keeps_followup or lk.always_followed_up
    who = actor or current_actor()
    engine = open_registry(config)
    org = config.organisation(org_id)
    warnings: list[str] = []
    with write_transaction(engine) as conn:
        src = resolve_case(conn, organisation_id(conn, org.id), from_ref)
        row = _case_row(conn, src.id)
        if row.status not in ACTIVE_STATUSES:
            raise PolicyError(f"case {src.dnr} is {row.status}: only an open or dormant case "
                              "can be sent on")
        if sent < row.opened_at:
            raise InvalidInputError(f"sending date {sent.isoformat()} is before case {src.dnr} "
                                    f"was opened ({row.opened_at.isoformat()})")
        target: CaseRef | None = None
        if target_text is not None:
            t_org = config.organisation(to_org_id) if to_org_id else org
            target = resolve_case(conn, organisation_id(conn, t_org.id), target_text)
            if target.id == src.id:
                raise InvalidInputError(f"case {src.dnr} cannot be linked to itself")
            if _case_row(conn, target.id).status == "voided":
                raise PolicyError(f"case {target.dnr} is voided (makulerat)")
        main_id = row.main_case_id or src.id
        main_dnr = src.dnr if main_id == src.id else _case_row(conn, main_id).dnr
        link_id = new_id()
        conn.execute(case_link.insert().values(
            id=link_id, kind=lk.code, from_case_id=src.id,
            to_case_id=target.id if target else None, to_party=party, sent_at=sent,
            due_at=due_on, keeps_followup=follow, note=note))
        secret = bool(marked_case_ids(conn, [src.id]))
        recipient = _recipient(party, target.dnr if target else None)
        base = lk.sent_text.format(dnr=src.dnr)
        short = base
        if not secret:
            short += f" till {recipient}"
        if due_on is not None and lk.always_followed_up:
            short += f", svar senast {due_on.isoformat()}"
        detail = f"{base} till {recipient}." + (f" {note}" if note else "")
        payload = {"link_id": link_id, "kind": lk.code, "to_case": target.dnr if target else None,
                   "to_party": party, "due_at": due_on.isoformat() if due_on else None,
                   "keeps_followup": follow}
        append_event(conn, kind=lk.sent_event, actor=who, event_date=sent,
                     organisation_id=src.organisation_id, case_id=src.id,
                     main_case_id=row.main_case_id, short_text=short, detail=detail,
                     person_ref=row.person_ref, payload=payload)
        status = row.status
        if lk.code == "vidarebefordran" and not follow:
            status = _close_forwarded(conn, src, sent, who)
        if target is not None:
            warnings += _link_recipient(conn, target, src, main_id, main_dnr, lk, sent, who)
        result = _link_view(_link_row(conn, link_id), "outgoing", today())
    result["case_status"] = status
    result["warnings"] = warnings
    return result


def _close_forwarded(conn: Connection, c: CaseRef, when: date, actor: str) -> str:
    """Close a case here because it was handed over entirely (överlämnad)."""
    conn.execute(sa.update(case_).where(case_.c.id == c.id).values(
        status="forwarded", closed_at=when, closing_kind="överlämnad"))
    append_event(conn, kind="status_changed", actor=actor, organisation_id=c.organisation_id,
                 case_id=c.id, event_date=when,
                 short_text=f"Ärende {c.dnr} avslutat (överlämnad)",
                 payload={"status": "forwarded", "closing_kind": "överlämnad"})
    return "forwarded"


def _link_recipient(conn: Connection, target: CaseRef, src: CaseRef, main_id: str,
                    main_dnr: str, lk: LinkKind, when: date, actor: str) -> list[str]:
    """Give the recipient case its huvudärendenummer and a ``case_linked`` event."""
    trow = _case_row(conn, target.id)
    warnings: list[str] = []
    moved: list[Any] = []
    main_set = False
    if target.id == main_id or trow.main_case_id == main_id:
        pass
    elif trow.main_case_id is not None:
        other = _case_row(conn, trow.main_case_id).dnr
        warnings.append(f"case {target.dnr} already belongs to main case {other}; "
                        f"its main case was not changed to {main_dnr}")
    else:
        conn.execute(sa.update(case_).where(case_.c.id == target.id)
                     .values(main_case_id=main_id))
        main_set = True
        # Keep main cases flat: whoever had the recipient as main case follows it.
        moved = list(conn.execute(sa.select(case_.c.id, case_.c.dnr, case_.c.organisation_id)
                                  .where(case_.c.main_case_id == target.id)))
        if moved:
            conn.execute(sa.update(case_).where(case_.c.main_case_id == target.id)
                         .values(main_case_id=main_id))
    short = f"{lk.received_text} från ärende {src.dnr}"
    if main_set:
        short += f"; huvudärende {main_dnr}"
    append_event(conn, kind="case_linked", actor=actor, event_date=when,
                 organisation_id=target.organisation_id, case_id=target.id,
                 main_case_id=main_id if target.id != main_id else None, short_text=short,
                 person_ref=trow.person_ref,
                 payload={"from_case": src.dnr, "kind": lk.code, "main_case": main_dnr,
                          "main_case_set": main_set})
    for m in moved:
        append_event(conn, kind="case_linked", actor=actor, event_date=when,
                     organisation_id=m.organisation_id, case_id=m.id, main_case_id=main_id,
                     short_text=f"Ärende {m.dnr} fått huvudärende {main_dnr}",
                     payload={"main_case": main_dnr, "via": target.dnr,
                              "main_case_set": True})
    return warnings


def _resolve_document(conn: Connection, org_reg_id: str, ref: str) -> tuple[str, str]:
    """The id and canonical reference of a registered document ("KS 2026/0042-3")."""
    c, seq = resolve_document(conn, org_reg_id, ref)
    d = conn.execute(sa.select(document.c.id, document.c.ref, document.c.status).where(
        document.c.case_id == c.id, document.c.seq == seq)).first()
    if d is None:
        raise InvalidInputError(f"no document {ref} in the registry")
    if d.status == "voided":
        raise PolicyError(f"document {d.ref} is voided (makulerad)")
    return str(d.id), str(d.ref)


def _find_link(conn: Connection, src: CaseRef, key: str) -> Any:
    """The link of ``src`` named by id (or an id prefix of 8+), party or recipient case."""
    rows = conn.execute(
        sa.select(case_link, _TO.c.dnr.label("to_dnr"))
        .outerjoin(_TO, _TO.c.id == case_link.c.to_case_id)
        .where(case_link.c.from_case_id == src.id)
        .order_by(case_link.c.sent_at, case_link.c.created_at)).all()
    text = key.strip()
    folded = text.casefold()
    matches = [r for r in rows if r.id == text or (len(text) >= 8 and r.id.startswith(text))]
    if not matches:
        matches = [r for r in rows if (r.to_party or "").casefold() == folded]
    if not matches:
        matches = [r for r in rows if (r.to_dnr or "").casefold() == folded]
    if not matches:
        raise InvalidInputError(f"case {src.dnr} has no link to '{text}'")
    waiting = [r for r in matches if r.answered_at is None]
    if not waiting:
        done = matches[-1]
        raise PolicyError(f"the link from {src.dnr} to '{text}' was already answered on "
                          f"{done.answered_at.isoformat()}")
    if len(waiting) > 1:
        ids = ", ".join(r.id for r in waiting)
        raise InvalidInputError(f"case {src.dnr} has several unanswered links to '{text}': "
                                f"choose one by id ({ids})")
    return waiting[0]


def answer_link(
    config: Config,
    from_ref: str,
    link_id_or_party: str,
    *,
    answered_on: date,
    answer_doc_ref: str | None = None,
    note: str | None = None,
    org_id: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Record the answer to a link: remissvar, uppdragssvar or klarmarkering.

    The link is named by its id (or the first 8+ characters), the outside party's name or
    the recipient case's number. ``answer_doc_ref`` is the registered answer document
    (e.g. the incoming remissvar "KS 2026/0042-4"). The klarmarkering of a vidarebefordran
    with kept follow-up closes the sending case as forwarded (överlämnad) on that date.
    """
    _check_date(answered_on, "answer date")
    who = actor or current_actor()
    engine = open_registry(config)
    org = config.organisation(org_id)
    with write_transaction(engine) as conn:
        oid = organisation_id(conn, org.id)
        src = resolve_case(conn, oid, from_ref)
        link = _find_link(conn, src, link_id_or_party)
        if link.sent_at is not None and answered_on < link.sent_at:
            raise InvalidInputError(f"answer date {answered_on.isoformat()} is before the link "
                                    f"was sent ({link.sent_at.isoformat()})")
        doc_id: str | None = None
        doc_ref: str | None = None
        if answer_doc_ref:
            doc_id, doc_ref = _resolve_document(conn, oid, answer_doc_ref)
        conn.execute(sa.update(case_link).where(case_link.c.id == link.id).values(
            answered_at=answered_on, answer_doc_id=doc_id))
        lk = LINK_KINDS[link.kind]
        row = _case_row(conn, src.id)
        recipient = _recipient(link.to_party, link.to_dnr)
        short = f"{lk.answer_text} i ärende {src.dnr}"
        if not marked_case_ids(conn, [src.id]):
            short += f" från {recipient}"
        detail = f"{lk.answer_text} från {recipient}" + (f" ({doc_ref})" if doc_ref else "") \
            + "." + (f" {note}" if note else "")
        append_event(conn, kind=lk.answered_event, actor=who, event_date=answered_on,
                     organisation_id=src.organisation_id, case_id=src.id,
                     main_case_id=row.main_case_id, document_id=doc_id, short_text=short,
                     detail=detail, person_ref=row.person_ref,
                     payload={"link_id": link.id, "kind": lk.code, "answer_doc": doc_ref})
        status = row.status
        if lk.code == "vidarebefordran" and link.keeps_followup and status in ACTIVE_STATUSES:
            status = _close_forwarded(conn, src, answered_on, who)
        result = _link_view(_link_row(conn, link.id), "outgoing", today())
    result["case_status"] = status
    return result


def _link_query() -> sa.Select[Any]:
    return (sa.select(case_link, _FROM.c.dnr.label("from_dnr"),
                      _FROM.c.status.label("from_status"), _FROM.c.officer.label("officer"),
                      _TO.c.dnr.label("to_dnr"), document.c.ref.label("answer_ref"))
            .join(_FROM, _FROM.c.id == case_link.c.from_case_id)
            .outerjoin(_TO, _TO.c.id == case_link.c.to_case_id)
            .outerjoin(document, document.c.id == case_link.c.answer_doc_id))


def _link_row(conn: Connection, link_id: str) -> Any:
    return conn.execute(_link_query().where(case_link.c.id == link_id)).one()


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _link_view(r: Any, direction: str, as_of: date) -> dict[str, Any]:
    overdue = _is_overdue(r.kind, r.keeps_followup, r.due_at, r.answered_at, r.from_status,
                          as_of)
    return {
        "id": r.id, "kind": r.kind, "direction": direction, "from_case": r.from_dnr,
        "to_case": r.to_dnr, "to_party": r.to_party, "sent": _iso(r.sent_at),
        "due": _iso(r.due_at), "answered": _iso(r.answered_at), "answer_doc": r.answer_ref,
        "keeps_followup": bool(r.keeps_followup),
        "awaiting_answer": r.answered_at is None and _awaits_answer(r.kind, r.keeps_followup),
        "overdue": overdue,
        "days_overdue": (as_of - r.due_at).days if overdue else 0,
        "officer": r.officer, "note": r.note,
    }


def list_links(config: Config, ref: str, *, org_id: str | None = None,
               as_of: date | None = None) -> list[dict[str, Any]]:
    """The links of a case, sent (``outgoing``) and received from cases here (``incoming``),
    in sending order, each with its ``overdue`` flag as of ``as_of`` (default today)."""
    when = as_of or today()
    engine = open_registry(config)
    org = config.organisation(org_id)
    with connect(engine) as conn:
        c = resolve_case(conn, organisation_id(conn, org.id), ref)
        rows = conn.execute(_link_query().where(sa.or_(
            case_link.c.from_case_id == c.id, case_link.c.to_case_id == c.id))
            .order_by(case_link.c.sent_at, case_link.c.created_at, case_link.c.id)).all()
    return [_link_view(r, "outgoing" if r.from_case_id == c.id else "incoming", when)
            for r in rows]


def overdue_links(config: Config, as_of: date | None = None, *,
                  org_id: str | None = None) -> list[dict[str, Any]]:
    """Follow-up (bevakning): the links of an organisation's open cases whose answer is
    overdue as of ``as_of`` (default today), oldest deadline first."""
    when = as_of or today()
    engine = open_registry(config)
    org = config.organisation(org_id)
    with connect(engine) as conn:
        oid = organisation_id(conn, org.id)
        rows = conn.execute(_link_query().where(
            _FROM.c.organisation_id == oid,
            _FROM.c.status.in_(ACTIVE_STATUSES),
            case_link.c.answered_at.is_(None),
            case_link.c.due_at < when,
            sa.or_(case_link.c.kind != "vidarebefordran", case_link.c.keeps_followup))
            .order_by(case_link.c.due_at, _FROM.c.dnr, case_link.c.id)).all()
    return [_link_view(r, "outgoing", when) for r in rows]
