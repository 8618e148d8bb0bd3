"""PREMIS 3 preservation metadata (bevarandemetadata) for a transfer package (överföringspaket).

Two files per package (packages.md §5):

* representation level, ``representations/rep1/metadata/preservation/premis.xml``: one
  ``representation`` object and one ``file`` object per data file with SHA-256 fixity, size
  and the PRONOM format (formatRegistryKey = the file's PUID), a *message digest calculation*
  event and the software agent;
* package level, ``metadata/preservation/premis.xml``: the package as an
  ``intellectualEntity``, the case's events from the event log (registration, secrecy
  marking, closing …, public ``short_text`` only, with protected strings scrubbed), a
  *creation* event for the package, and the agents (software, organisation, actors).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from diariekit.packages.erms import SPLICE, serialise, splice_parts, xml_text

__all__ = [
    "PREMIS_NS",
    "LogEvent",
    "PremisFile",
    "build_package_premis",
    "build_representation_premis",
    "format_name",
    "premis_file_link",
    "premis_file_object",
    "representation_premis_parts",
    "scrub",
]

PREMIS_NS = "http://www.loc.gov/premis/v3"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
_P = f"{{{PREMIS_NS}}}"
_XSI_TYPE = f"{{{XSI_NS}}}type"
_EVENT_TYPE_AUTHORITY = "http://id.loc.gov/vocabulary/preservation/eventType"

# PRONOM format names for the PUIDs diariekit meets most (PRONOM's own wording).
_PRONOM_NAMES = {
    "fmt/14": "Acrobat PDF 1.0 - Portable Document Format",
    "fmt/15": "Acrobat PDF 1.1 - Portable Document Format",
    "fmt/16": "Acrobat PDF 1.2 - Portable Document Format",
    "fmt/17": "Acrobat PDF 1.3 - Portable Document Format",
    "fmt/18": "Acrobat PDF 1.4 - Portable Document Format",
    "fmt/19": "Acrobat PDF 1.5 - Portable Document Format",
    "fmt/20": "Acrobat PDF 1.6 - Portable Document Format",
    "fmt/276": "Acrobat PDF 1.7 - Portable Document Format",
    "fmt/95": "Acrobat PDF/A - Portable Document Format 1a",
    "fmt/354": "Acrobat PDF/A - Portable Document Format 1b",
    "fmt/476": "Acrobat PDF/A - Portable Document Format 2a",
    "fmt/477": "Acrobat PDF/A - Portable Document Format 2b",
    "fmt/478": "Acrobat PDF/A - Portable Document Format 2u",
    "fmt/101": "Extensible Markup Language",
    "x-fmt/111": "Plain Text File",
    "fmt/11": "Portable Network Graphics",
    "fmt/353": "Tagged Image File Format",
    "fmt/412": "Microsoft Word for Windows",
    "fmt/214": "Microsoft Excel for Windows",
    "fmt/43": "JPEG File Interchange Format",
    "fmt/44": "JPEG File Interchange Format",
    "x-fmt/18": "Comma Separated Values",
}


def format_name(puid: str | None, fallback: str) -> str:
    """A human format name for a PUID (PRONOM's name, else diariekit's format table)."""
    if puid is None:
        return fallback
    if puid in _PRONOM_NAMES:
        return _PRONOM_NAMES[puid]
    from diariekit.files.formats import format_for_puid

    known = format_for_puid(puid)
    return known.name if known is not None else fallback


def scrub(text: str, protected: Iterable[str]) -> str:
    """``text`` with every protected string (skyddad uppgift) replaced by ``[sekretess]``."""
    for secret in sorted({p for p in protected if p and p.strip()}, key=len, reverse=True):
        text = text.replace(secret, "[sekretess]")
    return text


@dataclass(frozen=True)
class PremisFile:
    """A data file as PREMIS describes it: path in the representation, fixity and format."""

    path: str
    sha256: str
    size: int
    puid: str | None
    format_name: str
    original_name: str


@dataclass(frozen=True)
class LogEvent:
    """An event from the registry's event log (diariehändelse), public fields only."""

    id: str
    kind: str
    at: datetime
    actor: str
    short_text: str


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         **attrs: str) -> etree._Element:
    el = etree.SubElement(parent, _P + tag, attrs)
    if text is not None:
        el.text = text
    return el


def _root() -> etree._Element:
    root = etree.Element(_P + "premis", nsmap={None: PREMIS_NS, "xsi": XSI_NS})
    root.set("version", "3.0")
    return root


def _identifier(parent: etree._Element, kind: str, value: str, prefix: str = "object") -> None:
    ident = _sub(parent, f"{prefix}Identifier")
    _sub(ident, f"{prefix}IdentifierType", kind)
    _sub(ident, f"{prefix}IdentifierValue", value)


def _link(parent: etree._Element, what: str, value: str, role: str | None = None) -> None:
    link = _sub(parent, f"linking{what}Identifier")
    _sub(link, f"linking{what}IdentifierType", "local")
    _sub(link, f"linking{what}IdentifierValue", value)
    if role:
        _sub(link, f"linking{what}Role", role)


def _event(parent: etree._Element, *, ident: str, kind: str, at: str, detail: str | None,
           agents: Sequence[tuple[str, str]], objects: Sequence[str],
           value_uri: str | None = None) -> None:
    ev = _sub(parent, "event")
    _identifier(ev, "local", ident, "event")
    et = _sub(ev, "eventType", kind)
    if value_uri:
        et.set("authority", "eventType")
        et.set("authorityURI", _EVENT_TYPE_AUTHORITY)
        et.set("valueURI", value_uri)
    _sub(ev, "eventDateTime", at)
    if detail:
        info = _sub(ev, "eventDetailInformation")
        _sub(info, "eventDetail", detail)
    outcome = _sub(ev, "eventOutcomeInformation")
    _sub(outcome, "eventOutcome", "success")
    for agent_id, role in agents:
        _link(ev, "Agent", agent_id, role)
    for obj in objects:
        _link(ev, "Object", obj)


def _software_agent(parent: etree._Element, name: str, version: str) -> None:
    agent = _sub(parent, "agent")
    _identifier(agent, "local", f"agent-{name}", "agent")
    _sub(agent, "agentName", name)
    _sub(agent, "agentType", "software")
    _sub(agent, "agentVersion", version)


def representation_premis_parts(*, rep: str, created: datetime, software: str,
                                version: str) -> tuple[bytes, bytes, bytes]:
    """The fixed parts of the representation PREMIS: (head, middle, tail). The file objects
    (:func:`premis_file_object`) go between head and middle, and the fixity event's links to
    them (:func:`premis_file_link`) between middle and tail, in the same order."""
    root = _root()
    rep_obj = _sub(root, "object")
    rep_obj.set(_XSI_TYPE, "representation")
    _identifier(rep_obj, "local", rep)
    _sub(root, "object", splice=f"{SPLICE}-0")
    _event(root, ident="event-fixity-1", kind="message digest calculation",
           at=created.isoformat(), detail="SHA-256 beräknad vid kopiering till paketet",
           agents=[(f"agent-{software}", "executing program")], objects=[],
           value_uri=f"{_EVENT_TYPE_AUTHORITY}/mes")
    ev = root[-1]
    _sub(ev, "linkingObjectIdentifier", splice=f"{SPLICE}-1")
    _software_agent(root, software, version)
    head, middle, tail = splice_parts(serialise(root), 2)
    return head, middle, tail


def premis_file_object(f: PremisFile) -> str:
    """One PREMIS file object (fixity, size, format, original name), as the serialised tree
    holds it (two-space indentation, lxml's escaping)."""
    registry = ("" if not f.puid else
                "        <formatRegistry>\n"
                "          <formatRegistryName>PRONOM</formatRegistryName>\n"
                f"          <formatRegistryKey>{xml_text(f.puid)}</formatRegistryKey>\n"
                "        </formatRegistry>\n")
    return ("  <object xsi:type=\"file\">\n"
            "    <objectIdentifier>\n"
            "      <objectIdentifierType>local</objectIdentifierType>\n"
            f"      <objectIdentifierValue>{xml_text(f.path)}</objectIdentifierValue>\n"
            "    </objectIdentifier>\n"
            "    <objectCharacteristics>\n"
            "      <compositionLevel>0</compositionLevel>\n"
            "      <fixity>\n"
            "        <messageDigestAlgorithm>SHA-256</messageDigestAlgorithm>\n"
            f"        <messageDigest>{xml_text(f.sha256.lower())}</messageDigest>\n"
            "      </fixity>\n"
            f"      <size>{f.size}</size>\n"
            "      <format>\n"
            "        <formatDesignation>\n"
            f"          <formatName>{xml_text(f.format_name)}</formatName>\n"
            "        </formatDesignation>\n"
            f"{registry}"
            "      </format>\n"
            "    </objectCharacteristics>\n"
            f"    <originalName>{xml_text(f.original_name)}</originalName>\n"
            "    <linkingEventIdentifier>\n"
            "      <linkingEventIdentifierType>local</linkingEventIdentifierType>\n"
            "      <linkingEventIdentifierValue>event-fixity-1</linkingEventIdentifierValue>\n"
            "    </linkingEventIdentifier>\n"
            "  </object>\n")


def premis_file_link(path: str) -> str:
    """The fixity event's link to one file object."""
    return ("    <linkingObjectIdentifier>\n"
            "      <linkingObjectIdentifierType>local</linkingObjectIdentifierType>\n"
            f"      <linkingObjectIdentifierValue>{xml_text(path)}"
            "</linkingObjectIdentifierValue>\n"
            "    </linkingObjectIdentifier>\n")


def build_representation_premis(files: Sequence[PremisFile], *, rep: str, created: datetime,
                                software: str, version: str) -> bytes:
    """PREMIS for the representation: objects with fixity, size and PRONOM format."""
    head, middle, tail = representation_premis_parts(rep=rep, created=created,
                                                     software=software, version=version)
    return (head + "".join(premis_file_object(f) for f in files).encode("utf-8") + middle
            + "".join(premis_file_link(f.path) for f in files).encode("utf-8") + tail)


def build_package_premis(*, objid: str, created: datetime, software: str, version: str,
                         org_name: str, org_number: str | None, events: Sequence[LogEvent],
                         protected: Iterable[str]) -> bytes:
    """Package-level PREMIS: the package entity, the case's logged events and the agents."""
    secrets = tuple(protected)
    root = _root()
    entity = _sub(root, "object")
    entity.set(_XSI_TYPE, "intellectualEntity")
    _identifier(entity, "local", objid)
    org_agent = "agent-organisation"
    actors = sorted({e.actor for e in events})
    actor_ids = {a: f"agent-actor-{i + 1}" for i, a in enumerate(actors)}
    for e in events:
        kind = "creation" if e.kind in ("case_opened", "document_registered") else e.kind
        _event(root, ident=e.id, kind=kind, at=e.at.isoformat(),
               detail=f"{e.kind}: {scrub(e.short_text, secrets)}",
               agents=[(org_agent, "implementer"), (actor_ids[e.actor], "executing person")],
               objects=[objid])
    _event(root, ident="event-package-creation", kind="creation", at=created.isoformat(),
           detail="Överföringspaket (SIP) skapat för leverans till arkivmyndighet",
           agents=[(f"agent-{software}", "executing program"), (org_agent, "implementer")],
           objects=[objid], value_uri=f"{_EVENT_TYPE_AUTHORITY}/cre")
    _software_agent(root, software, version)
    org = _sub(root, "agent")
    _identifier(org, "local", org_agent, "agent")
    if org_number:
        _identifier(org, "organisationsnummer", org_number, "agent")
    _sub(org, "agentName", org_name)
    _sub(org, "agentType", "organization")
    for actor in actors:
        agent = _sub(root, "agent")
        _identifier(agent, "local", actor_ids[actor], "agent")
        _sub(agent, "agentName", actor)
        _sub(agent, "agentType", "person")
    return serialise(root)
