"""CITS ERMS 3.0 export of one case (ärende) for a transfer package (överföringspaket).

One ``erms.xml`` per package, in ``representations/rep1/data/``: the ``control`` section, then
one ``aggregation[@aggregationType='caseFile']`` for the case with its documents (handlingar)
nested as ``record`` elements, each listing its files as ``appendix`` (packages.md §4–4.3).

Only the public form of the register's protected items (OSL 5:2) is written: the public case
title, the public document description and the public counterpart; ``*_protected`` values
never reach the package. Secrecy markings (sekretessmarkeringar, OSL 5:5) become structured
``restriction[@restrictionType='confidential']`` elements with the provision ("OSL 26:1") as
``regulation``, the marking date and the marking authority.

The data classes here (:class:`CaseData`, :class:`RecordData`, :class:`Attachment`,
:class:`Marking`) are the case as read from the registry; :mod:`diariekit.packages.build`
fills them and the PREMIS and METS writers read them too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from lxml import etree

from diariekit.clock import STOCKHOLM

__all__ = [
    "ERMS_NS",
    "ERMS_VERSIONS",
    "Attachment",
    "CaseData",
    "Marking",
    "RecordData",
    "build_erms",
    "erms_parts",
    "erms_record",
    "iso_datetime",
    "serialise",
    "splice_parts",
    "xml_attr",
    "xml_text",
]

ERMS_NS = "https://DILCIS.eu/XML/ERMS"
_E = f"{{{ERMS_NS}}}"

# Case status (ärendestatus) → ERMS status/@value.
_STATUS = {"open": "open", "dormant": "on_hold", "closed": "closed",
           "written_off": "ad_acta", "forwarded": "closed", "voided": "obliterated"}
_DIRECTION = {"incoming": ("incoming", None), "outgoing": ("outgoing", None),
              "internal": ("other", "upprättad (internal)")}
_COUNTERPART_ROLE = {"incoming": "sender", "outgoing": "recipient"}
_TARGET_TEXT = {"case_title": "ärendemeningen", "document": "handlingen",
                "file": "en fil i handlingen", "counterpart": "avsändare/mottagare",
                "description": "handlingens beskrivning"}


@dataclass(frozen=True)
class Marking:
    """An active secrecy marking (sekretessmarkering) in the form the package may show."""

    target: str
    provision: str
    marked_on: date
    authority: str
    max_until: date | None = None


@dataclass(frozen=True)
class Attachment:
    """A file (fil) of a document as placed in the package under ``data/attachments/``."""

    file_id: str
    sha256: str
    size: int
    name: str
    original_name: str
    mime: str
    puid: str | None
    format_name: str
    variant: str

    @property
    def data_path(self) -> str:
        """Path relative to the representation folder (``data/attachments/<name>``)."""
        return f"data/attachments/{self.name}"


@dataclass(frozen=True)
class RecordData:
    """A document (handling) with its plan row (handlingstyp) and files, public form only."""

    id: str
    ref: str
    seq: int | None
    title: str
    document_type: str | None
    direction: str | None
    counterpart: str | None
    date_received: date | None
    date_drawn_up: date | None
    date_dispatched: date | None
    registered_at: datetime
    record_type: str | None
    row_ref: str | None
    retention_raw: str | None
    retention_text: str
    disposable: bool
    legal_basis: str | None
    schedule_id: str | None
    retention_due: date | None
    retention_start: date | None
    markings: tuple[Marking, ...]
    attachments: tuple[Attachment, ...]


@dataclass(frozen=True)
class CaseData:
    """A closed case (avslutat ärende) with its organisation and documents."""

    id: str
    dnr: str
    series: str
    title: str
    class_code: str | None
    class_title: str | None
    status: str
    opened_at: date
    closed_at: date | None
    officer: str | None
    unit: str | None
    org_code: str
    org_name: str
    org_number: str | None
    archive_creator_id: str | None
    municipality: str | None
    scheme: str | None
    markings: tuple[Marking, ...]
    records: tuple[RecordData, ...]
    protected: tuple[str, ...] = ()

    def template_values(self) -> dict[str, str]:
        """Values for ``{placeholders}`` in profile agents and submission strings."""
        return {"org_name": self.org_name, "org_code": self.org_code,
                "org_number": self.org_number or "",
                "archive_creator_id": self.archive_creator_id or "",
                "municipality": self.municipality or "", "series": self.series,
                "dnr": self.dnr}


def iso_datetime(value: date | datetime) -> str:
    """xs:dateTime with offset: a legal date is midnight in Europe/Stockholm."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=STOCKHOLM)
        return value.astimezone(STOCKHOLM).replace(microsecond=0).isoformat()
    return datetime.combine(value, time(0, 0), tzinfo=STOCKHOLM).isoformat()


_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_TEXT_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;"})
_ATTR_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                               "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"})
SPLICE = "diariekit-splice"


def _checked(value: str) -> str:
    if _INVALID.search(value):
        raise ValueError("All strings must be XML compatible: Unicode or ASCII, no NULL bytes "
                         f"or control characters ({value[:40]!r})")
    return value


def xml_text(value: str) -> str:
    """``value`` escaped as element text exactly as lxml serialises it."""
    return _checked(value).translate(_TEXT_ESCAPES)


def xml_attr(value: str) -> str:
    """``value`` escaped as a double-quoted attribute exactly as lxml serialises it."""
    return _checked(value).translate(_ATTR_ESCAPES)


def splice_parts(data: bytes, count: int) -> list[bytes]:
    """Split serialised XML at ``count`` marker lines (elements with a ``splice`` attribute
    ``diariekit-splice-<n>``, written by the tree builders where streamed content goes): the
    ``count + 1`` pieces around them, marker lines removed. Lets the fixed parts of a document
    come from an lxml tree while the per-file parts are streamed between them, with the same
    bytes as one tree would give."""
    parts: list[bytes] = []
    rest = data
    for n in range(count):
        mark = f'splice="{SPLICE}-{n}"'.encode()
        at = rest.index(mark)
        start = rest.rindex(b"\n", 0, at) + 1
        end = rest.index(b"\n", at) + 1
        parts.append(rest[:start])
        rest = rest[end:]
    parts.append(rest)
    return parts


def serialise(root: etree._Element) -> bytes:
    """Stable XML bytes: UTF-8, double-quoted declaration, LF line ends, final newline."""
    body: bytes = etree.tostring(root, encoding="UTF-8", pretty_print=True,
                                 xml_declaration=False)
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _E + tag, {k: v for k, v in attrs.items()})
    if text is not None:
        el.text = text
    return el


def _dates(parent: etree._Element, tag: str, items: list[tuple[str, date | datetime | None]]
           ) -> None:
    present = [(t, v) for t, v in items if v is not None]
    if not present:
        return
    dates = _sub(parent, tag)
    for kind, value in present:
        assert value is not None
        if kind.startswith("other:"):
            _sub(dates, "date", iso_datetime(value), dateType="other",
                 otherDateType=kind[len("other:"):])
        else:
            _sub(dates, "date", iso_datetime(value), dateType=kind)


def _restriction(parent: etree._Element, m: Marking, version: str = "3.0") -> None:
    r = _sub(parent, "restriction", restrictionType="confidential")
    text = (f"Sekretessmarkering enligt OSL 5 kap. 5 § av "
            f"{_TARGET_TEXT.get(m.target, m.target)}; "
            "markeringen är en varningssignal, inte ett beslut om sekretess")
    if version != "3.0":  # ERMS 2.1.2: no agent in a restriction
        text += f" (markerad av {m.authority})"
    _sub(r, "explanatoryText", text)
    _sub(r, "regulation", m.provision)
    if version == "3.0":
        agent = _sub(r, "agent", agentType="other", otherAgentType="marking_authority")
        _sub(agent, "name", m.authority)
    _dates(r, "dates", [("created", m.marked_on), ("expiration", m.max_until)])


def _control(root: etree._Element, case: CaseData, created: datetime, software: str,
             maintenance_status: str) -> None:
    control = _sub(root, "control")
    _sub(control, "identification", case.org_name, identificationType="archivalCreator")
    if case.archive_creator_id:
        _sub(control, "identification", case.archive_creator_id,
             identificationType="archivalCreatorId")
    _sub(control, "identification", software, identificationType="system")
    info = _sub(control, "maintenanceInformation")
    _sub(info, "maintenanceStatus", value=maintenance_status)
    agency = _sub(info, "maintenanceAgency")
    if case.org_number:
        _sub(agency, "agencyCode", case.org_number, type="organisationNumber")
    _sub(agency, "agencyName", case.org_name)
    history = _sub(info, "maintenanceHistory")
    event = _sub(history, "maintenanceEvent")
    _sub(event, "eventType", value="created")
    _sub(event, "eventDateTime", created.isoformat())
    agent = _sub(event, "agent", agentType="creator")
    _sub(agent, "name", software)


def _record(parent: etree._Element, rec: RecordData, version: str = "3.0") -> None:
    # ERMS 2.1.2's enumeration spells it "digitial" (sic); 3.0 corrected it
    el = _sub(parent, "record", systemIdentifier=rec.id,
              recordPhysicalOrDigital="digital" if version == "3.0" else "digitial")
    if rec.record_type:
        el.set("recordType", rec.record_type)
    _sub(el, "objectId", rec.ref)
    _sub(el, "title", rec.title)
    if rec.seq is not None:
        _sub(el, "runningNumber", str(rec.seq))
    for m in rec.markings:
        _restriction(el, m, version)
    disposal = _sub(el, "disposal", disposable="true" if rec.disposable else "false")
    if rec.schedule_id:
        _sub(disposal, "disposalScheduleId", rec.schedule_id)
    _sub(disposal, "disposalAction", rec.retention_text)
    if rec.retention_raw:
        _sub(disposal, "disposalPeriod", rec.retention_raw)
    if rec.legal_basis:
        _sub(disposal, "disposalMandate", rec.legal_basis)
    if rec.row_ref:
        _sub(disposal, "disposalDescription", f"Handlingstyp {rec.row_ref}")
    ddates = _sub(disposal, "dates")
    if rec.retention_start is not None:
        _sub(ddates, "disposalDate", iso_datetime(rec.retention_start),
             dateType="retention_period_start")
    if rec.retention_due is not None or rec.retention_start is None:
        due = rec.retention_due or rec.registered_at
        _sub(ddates, "disposalDate", iso_datetime(due),
             dateType="action_due" if rec.retention_due else "other_date",
             **({} if rec.retention_due else {"otherDisposalDateType": "registered"}))
    if rec.direction in _DIRECTION:
        definition, other = _DIRECTION[rec.direction]
        d = _sub(el, "direction", directionDefinition=definition)
        if other:
            d.set("otherDirectionDefinition", other)
    if rec.counterpart:
        agents = _sub(el, "agents")
        role = _COUNTERPART_ROLE.get(rec.direction or "", "counterpart")
        a = _sub(agents, "agent", agentType=role)
        _sub(a, "name", rec.counterpart)
    if rec.document_type:
        _sub(el, "description", rec.document_type)
    _dates(el, "dates", [("received", rec.date_received), ("created", rec.date_drawn_up),
                         ("sent", rec.date_dispatched),
                         ("other:registered", rec.registered_at)])
    if rec.attachments:
        info = _sub(el, "additionalInformation")
        for att in rec.attachments:
            app = _sub(info, "appendix", name=att.name, path=f"attachments/{att.name}")
            if att.puid:
                app.set("fileFormat", att.puid)
            app.set("description", f"{att.format_name} ({att.variant})")


def _aggregation(aggs: etree._Element, case: CaseData, version: str) -> etree._Element:
    agg = _sub(aggs, "aggregation", aggregationType="caseFile", systemIdentifier=case.id)
    _sub(agg, "objectId", case.dnr)
    if case.class_code:
        cls = _sub(agg, "classification", case.class_title or case.class_code,
                   classificationId=case.class_code)
        cls.set("classificationCode", case.class_code)
    _sub(agg, "title", case.title)
    _sub(agg, "status", value=_STATUS.get(case.status, "closed"))
    for m in case.markings:
        _restriction(agg, m, version)
    if case.officer or case.unit:
        agents = _sub(agg, "agents")
        a = _sub(agents, "agent", agentType="responsible_person")
        _sub(a, "name", case.officer or case.unit or "")
        if case.unit:
            _sub(a, "unitName", case.unit)
    _dates(agg, "dates", [("opened", case.opened_at), ("closed", case.closed_at)])
    return agg


def erms_parts(cases: Sequence[CaseData], *, created: datetime, software: str,
               maintenance_status: str = "new", version: str = "3.0") -> list[bytes]:
    """The fixed parts of ``erms.xml`` for a package of one or more cases: ``len(cases) + 1``
    pieces; the records of case *n* (:func:`erms_record`) go between pieces *n* and *n + 1*.
    The control section names the first case's organisation (one package, one
    arkivbildare). ``version``: ``"3.0"`` (ERMS_v3.xsd 3.0.2) or ``"2.1.2"``."""
    _check_version(version)
    root = etree.Element(_E + "erms", nsmap={None: ERMS_NS})
    _control(root, cases[0], created, software, maintenance_status)
    aggs = _sub(root, "aggregations")
    for n, case in enumerate(cases):
        agg = _aggregation(aggs, case, version)
        _sub(agg, "record", splice=f"{SPLICE}-{n}")
    return splice_parts(serialise(root), len(cases))


ERMS_VERSIONS = ("3.0", "2.1.2")


def _check_version(version: str) -> None:
    if version not in ERMS_VERSIONS:
        raise ValueError(f"ERMS {version} output is not implemented (use 3.0 or 2.1.2)")


_RECORD_OPEN = b'<aggregation systemIdentifier="w">\n'
_RECORD_CLOSE = b"    </aggregation>\n"


def erms_record(rec: RecordData, version: str = "3.0") -> bytes:
    """One ``record`` element (a document and its appendices), indented for its place inside
    an ``aggregation``: the bytes a whole tree would hold there."""
    _check_version(version)
    root = etree.Element(_E + "erms", nsmap={None: ERMS_NS})
    agg = _sub(_sub(root, "aggregations"), "aggregation", systemIdentifier="w")
    _record(agg, rec, version)
    data = serialise(root)
    start = data.index(_RECORD_OPEN) + len(_RECORD_OPEN)
    return data[start:data.rindex(_RECORD_CLOSE)]


def build_erms(case: CaseData, *, created: datetime, software: str,
               maintenance_status: str = "new", version: str = "3.0") -> bytes:
    """The ERMS document (``erms.xml``) for one case, as stable bytes: ERMS 3.0 by default,
    or ERMS 2.1.2 (``version="2.1.2"``)."""
    head, tail = erms_parts([case], created=created, software=software,
                            maintenance_status=maintenance_status, version=version)
    return head + b"".join(erms_record(r, version) for r in case.records) + tail
