"""METS for a transfer package (överföringspaket): root and representation METS.xml per
E-ARK CSIP/SIP 2.1.0 (FGS Paketstruktur 2.0), shaped like the validated example in
packages.md §6.

Deterministic: the same input gives the same bytes. Nothing here reads a clock; every
timestamp is the package creation time given by the caller, files are listed in sorted
path order and element IDs are derived from the file paths (``file-<hash of path>``), so
they are stable xs:IDs that never start with a digit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lxml import etree

from diariekit.packages.erms import SPLICE, serialise, splice_parts, xml_attr
from diariekit.packages.profile import AgentTemplate, Profile

__all__ = [
    "CSIP_NS",
    "METS_NS",
    "SIP_NS",
    "XLINK_NS",
    "MetsFile",
    "build_representation_mets",
    "build_root_mets",
    "file_id",
    "mets_file_entry",
    "representation_mets_parts",
]

METS_NS = "http://www.loc.gov/METS/"
XLINK_NS = "http://www.w3.org/1999/xlink"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
CSIP_NS = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP_NS = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
_M = f"{{{METS_NS}}}"
_X = f"{{{XLINK_NS}}}"
_C = f"{{{CSIP_NS}}}"
_S = f"{{{SIP_NS}}}"
_NSMAP = {None: METS_NS, "xlink": XLINK_NS, "xsi": XSI_NS, "csip": CSIP_NS, "sip": SIP_NS}
_SCHEMA_LOCATION = (
    "http://www.loc.gov/METS/ http://www.loc.gov/standards/mets/mets.xsd "
    "http://www.w3.org/1999/xlink http://www.loc.gov/standards/xlink/xlink.xsd "
    "https://DILCIS.eu/XML/METS/CSIPExtensionMETS "
    "https://earkcsip.dilcis.eu/schema/DILCISExtensionMETS.xsd "
    "https://DILCIS.eu/XML/METS/SIPExtensionMETS "
    "https://earksip.dilcis.eu/schema/DILCISExtensionSIPMETS.xsd")


@dataclass(frozen=True)
class MetsFile:
    """A file a METS lists: href relative to that METS, bytes, SHA-256 and media type."""

    href: str
    size: int
    sha256: str
    mime: str
    format_name: str | None = None
    puid: str | None = None


def file_id(prefix: str, href: str) -> str:
    """A stable xs:ID for a file: ``<prefix>-`` + 16 hex digits of SHA-256 over its path."""
    return f"{prefix}-{hashlib.sha256(href.encode('utf-8')).hexdigest()[:16]}"


def _sub(parent: etree._Element, tag: str, text: str | None = None,
         attrs: dict[str, str] | None = None) -> etree._Element:
    el = etree.SubElement(parent, _M + tag, attrs or {})
    if text is not None:
        el.text = text
    return el


def _root(profile: Profile, *, objid: str, label: str | None) -> etree._Element:
    root = etree.Element(_M + "mets", nsmap=_NSMAP)
    root.set(f"{{{XSI_NS}}}schemaLocation", _SCHEMA_LOCATION)
    root.set("OBJID", objid)
    if label:
        root.set("LABEL", label)
    root.set("TYPE", profile.content_category)
    _content_type(root, profile)
    root.set("PROFILE", profile.mets_profile)
    return root


def _content_type(el: etree._Element, profile: Profile) -> None:
    el.set(_C + "CONTENTINFORMATIONTYPE", profile.content_information_type)
    if profile.content_information_type == "OTHER" and profile.other_content_information_type:
        el.set(_C + "OTHERCONTENTINFORMATIONTYPE", profile.other_content_information_type)


def _header(root: etree._Element, profile: Profile, created: str, version: str,
            agents: Sequence[tuple[str, str, AgentTemplate]] = ()) -> etree._Element:
    hdr = _sub(root, "metsHdr", attrs={"CREATEDATE": created,
                                       "RECORDSTATUS": profile.record_status})
    hdr.set(_C + "OAISPACKAGETYPE", profile.package_type)
    software = _sub(hdr, "agent", attrs={"ROLE": "CREATOR", "TYPE": "OTHER",
                                         "OTHERTYPE": "SOFTWARE"})
    _sub(software, "name", profile.software_name)
    note = _sub(software, "note", version)
    note.set(_C + "NOTETYPE", "SOFTWARE VERSION")
    for role, kind, agent in agents:
        el = _sub(hdr, "agent", attrs={"ROLE": role, "TYPE": kind})
        _sub(el, "name", agent.name)
        if agent.identification_code:
            code = _sub(el, "note", agent.identification_code)
            code.set(_C + "NOTETYPE", "IDENTIFICATIONCODE")
        for text in agent.notes:
            _sub(el, "note", text)
    return hdr


def _mdref(parent: etree._Element, f: MetsFile, created: str, mdtype: str = "PREMIS") -> None:
    _sub(parent, "mdRef", attrs={
        "LOCTYPE": "URL", _X + "type": "simple", _X + "href": f.href, "MDTYPE": mdtype,
        "MIMETYPE": f.mime, "SIZE": str(f.size), "CREATED": created,
        "CHECKSUM": f.sha256.upper(), "CHECKSUMTYPE": "SHA-256"})


def _file(group: etree._Element, ident: str, f: MetsFile, created: str) -> None:
    attrs = {"ID": ident, "MIMETYPE": f.mime, "SIZE": str(f.size), "CREATED": created,
             "CHECKSUM": f.sha256.upper(), "CHECKSUMTYPE": "SHA-256"}
    el = _sub(group, "file", attrs=attrs)
    if f.format_name:
        el.set(_S + "FILEFORMATNAME", f.format_name)
    if f.puid:
        el.set(_S + "FORMATREGISTRY", "PRONOM")
        el.set(_S + "FORMATREGISTRYKEY", f.puid)
    _sub(el, "FLocat", attrs={"LOCTYPE": "URL", _X + "type": "simple", _X + "href": f.href})


def representation_mets_parts(profile: Profile, *, rep: str, created: datetime,
                              version: str, premis: MetsFile) -> tuple[bytes, bytes]:
    """The fixed parts of the representation METS (``representations/<rep>/METS.xml``;
    OBJID = ``rep``): (head, tail) around the data files of its ``Data`` fileGrp
    (:func:`mets_file_entry`)."""
    when = created.isoformat()
    root = _root(profile, objid=rep, label=f"Representation {rep}: ERMS export with attachments")
    _header(root, profile, when, version)
    amd = _sub(root, "amdSec", attrs={"ID": f"amd-{rep}"})
    digiprov = _sub(amd, "digiprovMD", attrs={"ID": f"digiprov-premis-{rep}",
                                              "STATUS": "CURRENT"})
    _mdref(digiprov, premis, when)
    sec = _sub(root, "fileSec", attrs={"ID": f"filesec-{rep}"})
    group = _sub(sec, "fileGrp", attrs={"ID": f"filegrp-{rep}-data", "USE": "Data"})
    _sub(group, "file", attrs={"splice": f"{SPLICE}-0"})
    smap = _sub(root, "structMap", attrs={"ID": f"structmap-{rep}", "TYPE": "PHYSICAL",
                                          "LABEL": "CSIP"})
    top = _sub(smap, "div", attrs={"ID": f"div-{rep}", "LABEL": rep})
    _sub(top, "div", attrs={"ID": f"div-{rep}-metadata", "LABEL": "Metadata",
                            "ADMID": f"digiprov-premis-{rep}"})
    data_div = _sub(top, "div", attrs={"ID": f"div-{rep}-data", "LABEL": "Data"})
    _sub(data_div, "fptr", attrs={"FILEID": f"filegrp-{rep}-data"})
    head, tail = splice_parts(serialise(root), 1)
    return head, tail


def mets_file_entry(rep: str, f: MetsFile, created: str) -> str:
    """One ``file`` of the representation's ``Data`` fileGrp (ID from its path), as the
    serialised tree holds it; ``created`` is the xs:dateTime text."""
    extra = ""
    if f.format_name:
        extra += f' sip:FILEFORMATNAME="{xml_attr(f.format_name)}"'
    if f.puid:
        extra += f' sip:FORMATREGISTRY="PRONOM" sip:FORMATREGISTRYKEY="{xml_attr(f.puid)}"'
    return (f'      <file ID="{file_id(f"file-{rep}", f.href)}" MIMETYPE="{xml_attr(f.mime)}" '
            f'SIZE="{f.size}" CREATED="{xml_attr(created)}" CHECKSUM="{f.sha256.upper()}" '
            f'CHECKSUMTYPE="SHA-256"{extra}>\n'
            f'        <FLocat LOCTYPE="URL" xlink:type="simple" '
            f'xlink:href="{xml_attr(f.href)}"/>\n'
            "      </file>\n")


def build_representation_mets(profile: Profile, *, rep: str, created: datetime, version: str,
                              premis: MetsFile, data: Sequence[MetsFile]) -> bytes:
    """The representation METS (``representations/<rep>/METS.xml``); OBJID = ``rep``; the
    data files in the given order."""
    head, tail = representation_mets_parts(profile, rep=rep, created=created, version=version,
                                           premis=premis)
    when = created.isoformat()
    return head + "".join(mets_file_entry(rep, f, when) for f in data).encode("utf-8") + tail


def build_root_mets(profile: Profile, *, objid: str, label: str, created: datetime,
                    version: str, agents: Sequence[tuple[str, str, AgentTemplate]],
                    submission_agreement: str | None, reference_code: str | None,
                    premis: MetsFile, documentation: Sequence[MetsFile],
                    schemas: Sequence[MetsFile], rep: str, rep_mets: MetsFile) -> bytes:
    """The root METS (``METS.xml``): SIP header and agents, package PREMIS, documentation,
    schemas and a pointer (mptr) to the representation METS."""
    when = created.isoformat()
    root = _root(profile, objid=objid, label=label)
    hdr = _header(root, profile, when, version, agents)
    if submission_agreement:
        _sub(hdr, "altRecordID", submission_agreement, {"TYPE": "SUBMISSIONAGREEMENT"})
    if reference_code:
        _sub(hdr, "altRecordID", reference_code, {"TYPE": "REFERENCECODE"})
    amd = _sub(root, "amdSec", attrs={"ID": "amd-root"})
    digiprov = _sub(amd, "digiprovMD", attrs={"ID": "digiprov-premis-root", "STATUS": "CURRENT"})
    _mdref(digiprov, premis, when)
    sec = _sub(root, "fileSec", attrs={"ID": "filesec-root"})
    if documentation:
        group = _sub(sec, "fileGrp", attrs={"ID": "filegrp-documentation",
                                            "USE": "Documentation"})
        for f in sorted(documentation, key=lambda x: x.href):
            _file(group, file_id("file-doc", f.href), f, when)
    if schemas:
        group = _sub(sec, "fileGrp", attrs={"ID": "filegrp-schemas", "USE": "Schemas"})
        for f in sorted(schemas, key=lambda x: x.href):
            _file(group, file_id("file-schema", f.href), f, when)
    rep_group = _sub(sec, "fileGrp", attrs={"ID": f"filegrp-{rep}",
                                            "USE": f"Representations/{rep}"})
    _content_type(rep_group, profile)
    _file(rep_group, f"file-{rep}-mets", rep_mets, when)
    smap = _sub(root, "structMap", attrs={"ID": "structmap-root", "TYPE": "PHYSICAL",
                                          "LABEL": "CSIP"})
    top = _sub(smap, "div", attrs={"ID": "div-root", "LABEL": objid})
    _sub(top, "div", attrs={"ID": "div-root-metadata", "LABEL": "Metadata",
                            "ADMID": "digiprov-premis-root"})
    if documentation:
        div = _sub(top, "div", attrs={"ID": "div-root-documentation", "LABEL": "Documentation"})
        _sub(div, "fptr", attrs={"FILEID": "filegrp-documentation"})
    if schemas:
        div = _sub(top, "div", attrs={"ID": "div-root-schemas", "LABEL": "Schemas"})
        _sub(div, "fptr", attrs={"FILEID": "filegrp-schemas"})
    div = _sub(top, "div", attrs={"ID": f"div-root-{rep}", "LABEL": f"Representations/{rep}"})
    _sub(div, "mptr", attrs={"LOCTYPE": "URL", _X + "type": "simple",
                             _X + "href": rep_mets.href, _X + "title": f"filegrp-{rep}"})
    return serialise(root)
