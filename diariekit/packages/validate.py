"""Validate an information package (informationspaket) against FGS Paketstruktur 2.0.

FGS Paketstruktur 2.0 is E-ARK CSIP 2.1.0 + SIP 2.1.0. The package is read in place (folder,
zip or tar; see :mod:`diariekit.packages.reader`) and checked for

* structure: the CSIPSTR requirements a machine can decide;
* every machine-checkable METS requirement of CSIP (CSIP1-CSIP119) and SIP (SIP1-SIP35), in
  the root METS and in each representation METS, reported by requirement ID with the level of
  the official profile: MUST -> error, SHOULD -> warning, MAY -> info;
* fixity (fixitet): every referenced file present, its SIZE and CHECKSUM right, and no file
  that no METS references;
* XML Schema validity of METS, PREMIS and ERMS files, when the schemas are installed;
* unsafe content: DTDs/entity declarations (XXE) in any XML file, links, zip-slip members.

Memory and speed (issue 4: "memory stays flat however many files"): no parsed tree is
cached. METS files are streamed (``iterparse``): each fileSec ``file`` is checked when it
ends and, unless it has a finding, only its references are kept and the element is cleared
(:class:`_MetsScan`); PREMIS objects, ERMS appendices and any other XML are streamed the same
way (:class:`_ContentScan`). Findings and their XPaths are exactly those of a whole-tree
check: elements with findings stay whole, cleared ones stay as empty placeholders. The whole
tree of one file is built only for XML Schema validation (lxml needs it) and dropped right
after. Fixity reads use large buffers in worker threads; for a folder, SHA-256 of every
member starts before the METS files are parsed (:class:`_Prefetch`), so reading and hashing
overlap with the parsing.

Codes that are not requirement IDs of the profiles start with ``DK-`` or name the schema:

==================== ======== ==========================================================
code                 severity meaning
==================== ======== ==========================================================
DK-UNREFERENCED      error    a file in the package that no METS file references
DK-HREF              warning  a reference uses ``..`` but stays inside the package
DK-ID-UNIQUE         error    an ID used twice (in one METS) / warning across METS files
DK-UNREADABLE-MEMBER error    a member of the archive that cannot be read (bad CRC, truncated)
DK-SIP-ATTRIBUTE     warning  a sip: attribute on file that the SIP extension schema lacks
DK-SIP-PROFILE       warning  OAISPACKAGETYPE SIP under the CSIP profile: SIP rules not checked
DK-IDREF             error    ADMID/DMDID/FILEID names no ID, or an element of the wrong kind
DK-ERMS-APPENDIX     error    an ERMS ``appendix/@path`` that is not in the package
DK-PREMIS-FIXITY     warning  a PREMIS messageDigest that differs from the METS CHECKSUM
DK-UNSAFE-PATH       error    absolute path, ``..``, backslash or special file member
DK-LINK              error    symbolic or hard link inside the package (never followed)
DK-DUPLICATE-MEMBER  error    the same archive member twice
DK-XML-DTD           error    DOCTYPE / entity declaration (XXE); never expanded
DK-XML-WELLFORMED    error    an XML file that does not parse
DK-CHECKSUM-UNSUP    info     a CHECKSUMTYPE diariekit cannot compute (HAVAL, TIGER...)
XSD-METS/PREMIS/ERMS error    XML Schema validation error
SCH-ERMS             err/warn an ERMS Schematron rule (co-occurrence: ``other…`` attribute
                              missing beside the value ``other``); "should" rules warn
==================== ======== ==========================================================
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import sys
import tarfile
import threading
import unicodedata
import zipfile
import zlib
from array import array
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any, Protocol, TypeAlias
from urllib.parse import unquote, urlsplit

from lxml import etree

from diariekit.errors import Location
from diariekit.findings import Finding, Severity, has_errors, sorted_findings
from diariekit.parallel import ordered_map

from .reader import PackageReader, open_package
from .schemas import (
    CSIP_PROFILE,
    CSIP_VOCABULARIES,
    SIP_PROFILE,
    SIP_VOCABULARIES,
    SchemaSet,
    SchematronRules,
    safe_parser,
)

M = "http://www.loc.gov/METS/"
XL = "http://www.w3.org/1999/xlink"
CSIP = "https://DILCIS.eu/XML/METS/CSIPExtensionMETS"
SIP = "https://DILCIS.eu/XML/METS/SIPExtensionMETS"
PREMIS = "http://www.loc.gov/premis/v3"
ERMS = "https://DILCIS.eu/XML/ERMS"

SIP_PROFILE_URL = "https://earksip.dilcis.eu/profile/E-ARK-SIP.xml"
SIP_PROFILES = {
    SIP_PROFILE_URL,
    "http://earksip.dilcis.eu/profile/E-ARK-SIP.xml",
    "https://earksip.dilcis.eu/profile/E-ARK-SIP-v2-2-0.xml",
}
CSIP_PROFILES = {
    "https://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml",
    "http://earkcsip.dilcis.eu/profile/E-ARK-CSIP.xml",
}
CHUNK = 1 << 20
# Fixity reads: large buffers (hashlib releases the GIL while it hashes them), and small
# files handed to the worker threads in batches, so that thread hand-over costs little.
READ_BUFFER = 4 << 20
BATCH_FILES = 256
BATCH_BYTES = 32 << 20
# What reading one member of a damaged archive can raise (bad CRC, truncation, encryption).
_READ_ERRORS = (OSError, EOFError, RuntimeError, zipfile.BadZipFile, tarfile.TarError,
                zlib.error)
NO_SCHEMAS = "XSD validation skipped: no schemas installed (diariekit schemas install FOLDER)"

_SEVERITY = {"MUST": Severity.ERROR, "SHOULD": Severity.WARNING, "MAY": Severity.INFO}

# Built-in fallback of the requirement levels (CSIP 2.1.0 / SIP 2.1.0); replaced by the
# official profile files when schemas are installed.
_MUST = (
    "CSIPSTR1 CSIPSTR4 CSIP1 CSIP2 CSIP6 CSIP117 CSIP7 CSIP9 CSIP10 CSIP11 CSIP12 CSIP13 CSIP14 "
    "CSIP15 CSIP16 CSIP18 CSIP19 CSIP22 CSIP23 CSIP24 CSIP25 CSIP26 CSIP27 CSIP28 CSIP29 CSIP30 "
    "CSIP33 CSIP36 CSIP37 CSIP38 CSIP39 CSIP40 CSIP41 CSIP42 CSIP43 CSIP44 CSIP46 CSIP49 CSIP50 "
    "CSIP51 CSIP52 CSIP53 CSIP54 CSIP55 CSIP56 CSIP57 CSIP59 CSIP60 CSIP113 CSIP114 CSIP64 "
    "CSIP65 CSIP66 CSIP67 CSIP68 CSIP69 CSIP70 CSIP71 CSIP72 CSIP76 CSIP77 CSIP78 CSIP79 CSIP80 "
    "CSIP81 CSIP82 CSIP83 CSIP84 CSIP85 CSIP88 CSIP89 CSIP90 CSIP94 CSIP95 CSIP96 CSIP116 CSIP98 "
    "CSIP99 CSIP100 CSIP118 CSIP102 CSIP103 CSIP104 CSIP119 CSIP106 CSIP107 CSIP108 CSIP109 "
    "CSIP110 CSIP111 CSIP112 SIP2 SIP4 SIP10 SIP11 SIP14 SIP15 SIP16 SIP17 SIP20 SIP22 SIP23 "
    "SIP24 SIP27 SIP28 SIP31"
)
_SHOULD = (
    "CSIPSTR2 CSIPSTR5 CSIPSTR6 CSIPSTR7 CSIPSTR9 CSIPSTR10 CSIPSTR11 CSIPSTR12 CSIPSTR13 "
    "CSIPSTR15 CSIPSTR16 CSIP3 CSIP4 CSIP8 CSIP17 CSIP20 CSIP21 CSIP31 CSIP32 CSIP34 CSIP35 "
    "CSIP47 CSIP48 CSIP58 CSIP62 CSIP91 CSIP92 CSIP93 CSIP97 CSIP101 CSIP105 REF_CSIP_1 "
    "REF_CSIP_2 REF_CSIP_3"
)
_MAY = (
    "CSIPSTR3 CSIPSTR8 CSIPSTR14 CSIP5 CSIP45 CSIP61 CSIP63 CSIP73 CSIP74 CSIP75 REF_METS_1 "
    "REF_METS_2 SIP1 SIP3 SIP5 SIP6 SIP7 SIP8 SIP9 SIP12 SIP13 SIP18 SIP19 SIP21 SIP25 SIP26 "
    "SIP29 SIP30 SIP32 SIP33 SIP34 SIP35"
)
BUILTIN_LEVELS: dict[str, str] = {
    **{k: "MUST" for k in _MUST.split()},
    **{k: "SHOULD" for k in _SHOULD.split()},
    **{k: "MAY" for k in _MAY.split()},
}
# Codes of diariekit's own checks and their fixed severities.
OWN_SEVERITY: dict[str, Severity] = {
    "DK-UNREFERENCED": Severity.ERROR,
    "DK-HREF": Severity.WARNING,
    "DK-ID-UNIQUE": Severity.ERROR,
    "DK-IDREF": Severity.ERROR,
    "DK-SIP-ATTRIBUTE": Severity.WARNING,
    "DK-SIP-PROFILE": Severity.WARNING,
    "DK-UNREADABLE-MEMBER": Severity.ERROR,
    "DK-ERMS-APPENDIX": Severity.ERROR,
    "DK-PREMIS-FIXITY": Severity.WARNING,
    "DK-XML-DTD": Severity.ERROR,
    "DK-XML-WELLFORMED": Severity.ERROR,
    "DK-CHECKSUM-UNSUP": Severity.INFO,
    "XSD-METS": Severity.ERROR,
    "XSD-PREMIS": Severity.ERROR,
    "XSD-ERMS": Severity.ERROR,
}

_CONTENT_CATEGORY = [
    "Textual works – Print", "Textual works – Digital", "Textual works – Electronic Serials",
    "Digital Musical Composition (score-based representations)", "Photographs – Print",
    "Photographs – Digital", "Other Graphic Images – Print", "Other Graphic Images – Digital",
    "Microforms", "Audio – On Tangible Medium (digital or analog)",
    "Audio – Media-independent (digital)", "Motion Pictures – Digital and Physical Media",
    "Video – File-based and Physical Media", "Software", "Datasets", "Geospatial Data",
    "Databases", "Websites", "Collection", "Event", "Interactive resource", "Physical object",
    "Service", "Mixed", "Other",
]
BUILTIN_VOCABULARIES: dict[str, set[str]] = {
    "VocabularyContentCategory": set(_CONTENT_CATEGORY),
    "ContentInformationTypeSpecification": {
        "ERMS", "SIARD1", "SIARD2", "SIARDDK", "GeoData", "citscarchival_v1_0",
        "citserms_v2_1", "citspremis_v1_0", "citsehpj_v1_0", "citsehcr_v1_0", "citssiard_v1_0",
        "citsgeospatial_v3_0", "MIXED", "OTHER"},
    "VocabularyOAISPackageType": {"SIP", "AIP", "DIP", "AIU", "AIC"},
    "VocabularyNoteType": {"SOFTWARE VERSION", "IDENTIFICATIONCODE"},
    "VocabularyAgentOtherType": {"SOFTWARE"},
    "VocabularyStatus": {"CURRENT", "SUPERSEDED"},
    "VocabularyFileGrpAndStructMapDivisionLabel": {
        "Documentation", "Schemas", "Representations", "Metadata"},
    "VocabularyStructMapType": {"PHYSICAL"},
    "VocabularyStructMapLabel": {"CSIP"},
    "VocabularyRECORDSTATUS": {
        "NEW", "SUPPLEMENT", "REPLEACEMENT", "TEST", "VERSION", "DELETE", "OTHER"},
    "VocabularyaltrecordIDTYPE": {
        "SUBMISSIONAGREEMENT", "PREVIOUSSUBMISSIONAGREEMENT", "REFERENCECODE",
        "PREVIOUSREFERENCECODE"},
}
# The 2.1.0 extension XSD spells one value differently from the vocabulary file.
_EXTRA_CIT = {"citcarchival_v1_0"}

_ALGORITHMS: dict[str, Callable[[], Any]] = {
    "MD5": hashlib.md5, "SHA-1": hashlib.sha1, "SHA-256": hashlib.sha256,
    "SHA-384": hashlib.sha384, "SHA-512": hashlib.sha512,
}
_METS_CHECKSUMTYPES = {"HAVAL", "MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512",
                       "TIGER WHIRLPOOL", "CRC32", "Adler-32"}
_DATETIME = re.compile(
    r"^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")
_MIME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*"
                   r"(\s*;.*)?$")
_HEX = re.compile(r"^[0-9A-Fa-f]+$")
# The IANA registry's top-level media types (RFC 6838 §4.2, plus font, haptics, example).
_MIME_TOP = {"application", "audio", "example", "font", "haptics", "image", "message", "model",
             "multipart", "text", "video"}
# How far a date may lie ahead of this machine's clock before it counts as "in the future"
# (time zones and clock drift between the producer and the validator).
_CLOCK_SKEW = timedelta(days=1)


def mime_ok(value: str) -> bool:
    """Whether ``value`` is an IANA media type: the syntax of RFC 6838 and a registered
    top-level type (``other/x`` and ``pdf`` are not)."""
    return bool(_MIME.match(value)) and value.split("/", 1)[0].lower() in _MIME_TOP


def parse_datetime(value: str) -> datetime | None:
    """An xs:dateTime as an aware datetime (no zone read as UTC), or None when unreadable
    (a year outside 1–9999, say)."""
    if not _DATETIME.match(value):
        return None
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


# --------------------------------------------------------------------------- report


@dataclass
class ValidationReport:
    """The result of validating one package: all findings, what was checked and skipped."""

    package: str
    container: str
    root_name: str
    findings: list[Finding] = field(default_factory=list)
    files_checked: int = 0
    bytes_checked: int = 0
    skipped: list[str] = field(default_factory=list)
    schemas: str | None = None
    levels: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def valid(self) -> bool:
        """True when no finding is an error."""
        return not has_errors(self.findings)

    def counts(self) -> dict[str, int]:
        out = {str(s): 0 for s in Severity}
        for f in self.findings:
            out[str(f.severity)] += 1
        return out

    def codes(self, severity: Severity | None = None) -> set[str]:
        """The finding codes, optionally of one severity only (handy in tests)."""
        return {f.code for f in self.findings if severity is None or f.severity is severity}

    def to_dict(self) -> dict[str, Any]:
        """The stable ``--json`` shape."""
        return {
            "package": self.package,
            "container": self.container,
            "root": self.root_name,
            "valid": self.valid,
            "counts": self.counts(),
            "files_checked": self.files_checked,
            "bytes_checked": self.bytes_checked,
            "schemas": self.schemas,
            "skipped": list(self.skipped),
            "findings": [
                {**f.to_dict(), "level": self.levels.get(f.code)}
                for f in sorted_findings(self.findings)
            ],
        }


# --------------------------------------------------------------------------- profile data


_LEVEL_CACHE: dict[str, dict[str, str]] = {}
_VOCAB_CACHE: dict[tuple[str, str], dict[str, set[str]]] = {}


def load_levels(schemas: SchemaSet | None) -> dict[str, str]:
    """Requirement ID -> MUST/SHOULD/MAY, from the official profiles when installed."""
    if schemas is None:
        return dict(BUILTIN_LEVELS)
    key = str(schemas.folder)
    if key not in _LEVEL_CACHE:
        _LEVEL_CACHE[key] = _read_levels(schemas)
    return dict(_LEVEL_CACHE[key])


def _read_levels(schemas: SchemaSet) -> dict[str, str]:
    levels = dict(BUILTIN_LEVELS)
    for rel in (CSIP_PROFILE, SIP_PROFILE):
        path = schemas.path(rel)
        if not path.is_file():
            continue
        tree = etree.parse(str(path), safe_parser())
        for req in tree.iter("{*}requirement"):
            rid, level = req.get("ID"), req.get("REQLEVEL")
            if rid and level in _SEVERITY:
                levels[rid] = level
    return levels


def load_vocabularies(schemas: SchemaSet | None, version: str = "2.1.0") -> dict[str, set[str]]:
    """Vocabulary name -> allowed terms, from the vocabulary files when installed."""
    if schemas is None:
        return {k: set(v) for k, v in BUILTIN_VOCABULARIES.items()}
    key = (str(schemas.folder), version)
    if key not in _VOCAB_CACHE:
        _VOCAB_CACHE[key] = _read_vocabularies(schemas, version)
    return {k: set(v) for k, v in _VOCAB_CACHE[key].items()}


def _read_vocabularies(schemas: SchemaSet, version: str) -> dict[str, set[str]]:
    vocab = {k: set(v) for k, v in BUILTIN_VOCABULARIES.items()}
    loaded: dict[str, set[str]] = {}
    folders = [CSIP_VOCABULARIES, SIP_VOCABULARIES]
    if version == "2.2.0":
        folders = [f.replace("2.1.0", "2.2.0") for f in folders]
    for rel in folders:
        folder = schemas.path(rel)
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.xml")):
            tree = etree.parse(str(path), safe_parser())
            for voc in tree.iter("{*}Vocabulary"):
                name = voc.get("Name")
                terms = {(t.text or "").strip() for t in voc.iter("{*}Term")}
                if name and terms:
                    loaded.setdefault(name, set()).update(terms)
    vocab.update(loaded)
    vocab["ContentInformationTypeSpecification"] |= _EXTRA_CIT
    return vocab


# --------------------------------------------------------------------------- helpers


def xpath_of(el: etree._Element, attr: str | None = None) -> str:
    """A readable XPath such as ``/mets/metsHdr/agent[2]/@ROLE`` (METS prefix left out)."""
    parts: list[str] = []
    node: etree._Element | None = el
    while node is not None:
        name = etree.QName(node).localname
        ident = node.get("ID")
        if ident and "'" not in ident:
            # IDs are unique: a short, exact path that costs nothing in big fileSecs
            parts.append(f"/{name}[@ID='{ident}']")
            break
        parent = node.getparent()
        if parent is not None:
            same = [c for c in parent if c.tag == node.tag]
            if len(same) > 1:
                name += f"[{same.index(node) + 1}]"
        parts.append(name)
        node = parent
    path = "/" + "/".join(reversed(parts))
    if attr:
        short = attr
        for ns, prefix in ((XL, "xlink:"), (CSIP, "csip:"), (SIP, "sip:")):
            short = short.replace("{" + ns + "}", prefix)
        path += "/@" + short
    return path


class _LazyXPath:
    """:func:`xpath_of` computed when first needed (most references have no finding)."""

    __slots__ = ("attr", "el", "value")

    def __init__(self, el: etree._Element, attr: str | None = None) -> None:
        self.el, self.attr = el, attr
        self.value: str | None = None

    def __str__(self) -> str:
        if self.value is None:
            self.value = xpath_of(self.el, self.attr)
        return self.value


def _m(name: str) -> str:
    return "{" + M + "}" + name


def _children(el: etree._Element, name: str) -> list[etree._Element]:
    return [c for c in el if c.tag == _m(name)]


class _Hash(Protocol):
    def update(self, data: bytes | memoryview, /) -> None: ...
    def hexdigest(self) -> str: ...


class _ZlibSum:
    """CRC32 / Adler-32 with the hashlib interface."""

    def __init__(self, fn: Callable[[bytes | memoryview, int], int], start: int) -> None:
        self.fn, self.value = fn, start

    def update(self, data: bytes | memoryview, /) -> None:
        self.value = self.fn(data, self.value)

    def hexdigest(self) -> str:
        return f"{self.value & 0xFFFFFFFF:08x}"


def _new_hash(algorithm: str) -> _Hash | None:
    if algorithm in _ALGORITHMS:
        h: _Hash = _ALGORITHMS[algorithm]()
        return h
    if algorithm == "CRC32":
        return _ZlibSum(zlib.crc32, 0)
    if algorithm == "Adler-32":
        return _ZlibSum(zlib.adler32, 1)
    return None


@dataclass(slots=True)
class _Ref:
    """A reference from a METS file to a package member, with what it claims."""

    member: str
    doc: str
    xpath: str
    size: str | None = None
    checksum: str | None = None
    checksumtype: str | None = None
    size_id: str | None = None
    checksum_id: str | None = None


# One member to check: its name, the METS references to it, the hashes to compute.
_Job = tuple[str, list[_Ref], dict[str, _Hash]]


# What a streamed fileSec ``file`` left for the fileSec check: its references and the members
# they name (its subtree is cleared), or the element itself, kept whole and checked again in
# place (it has findings, or no ID to anchor their XPaths).
_Buffered: TypeAlias = "_Ref | str | etree._Element"


@dataclass
class _Doc:
    member: str
    base: str
    root: etree._Element
    kind: str  # "root" or "rep"
    # filled while streaming (see _MetsScan)
    ids: dict[str, str] = field(default_factory=dict)  # ID -> local name of its element
    id_log: list[tuple[bool, str, str | etree._Element]] = field(default_factory=list)
    idrefs: list[tuple[str, str, str | etree._Element]] = field(default_factory=list)
    files: dict[etree._Element, list[_Buffered]] = field(default_factory=dict)


# Requirement IDs per metadata section: (section, mdRef, LOCTYPE, xlink:type, href, MDTYPE,
# MIMETYPE, SIZE, CREATED, CHECKSUM, CHECKSUMTYPE, ID, STATUS)
_MD_IDS: dict[str, dict[str, str]] = {
    "dmdSec": dict(sec="CSIP17", id="CSIP18", created="CSIP19", status="CSIP20",
                   mdref="CSIP21", loctype="CSIP22", xtype="CSIP23", href="CSIP24",
                   mdtype="CSIP25", mime="CSIP26", size="CSIP27", mdcreated="CSIP28",
                   checksum="CSIP29", ctype="CSIP30"),
    "digiprovMD": dict(sec="CSIP32", id="CSIP33", status="CSIP34", mdref="CSIP35",
                       loctype="CSIP36", xtype="CSIP37", href="CSIP38", mdtype="CSIP39",
                       mime="CSIP40", size="CSIP41", mdcreated="CSIP42", checksum="CSIP43",
                       ctype="CSIP44"),
    "rightsMD": dict(sec="CSIP45", id="CSIP46", status="CSIP47", mdref="CSIP48",
                     loctype="CSIP49", xtype="CSIP50", href="CSIP51", mdtype="CSIP52",
                     mime="CSIP53", size="CSIP54", mdcreated="CSIP55", checksum="CSIP56",
                     ctype="CSIP57"),
}


_SIP_PREFIX = "{" + SIP + "}"
_SIP_FILE_ATTRIBUTES = frozenset(
    {"FILEFORMATNAME", "FILEFORMATVERSION", "FORMATREGISTRY", "FORMATREGISTRYKEY"})
_SIP_FILE_CODES = tuple((f"{{{SIP}}}{name}", code) for name, code in (
    ("FILEFORMATNAME", "SIP32"), ("FILEFORMATVERSION", "SIP33"), ("FORMATREGISTRY", "SIP34"),
    ("FORMATREGISTRYKEY", "SIP35")))
_IDREF_TARGETS: dict[str, frozenset[str]] = {
    "ADMID": frozenset({"amdSec", "digiprovMD", "rightsMD", "techMD", "sourceMD"}),
    "DMDID": frozenset({"dmdSec"}),
    "FILEID": frozenset({"file", "fileGrp"}),
}

_FILE = "{" + M + "}file"
_FILEGRP = "{" + M + "}fileGrp"


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _anchored(el: etree._Element) -> bool:
    """True when :func:`xpath_of` of ``el`` and of its descendants stops at ``el``'s own ID,
    so it does not depend on siblings that a streaming parse has not seen yet."""
    ident = el.get("ID")
    return bool(ident) and "'" not in ident


class _Sniff:
    """A read-only stream that notes whether a DOCTYPE or ENTITY declaration passes by."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.tail = b""
        self.declares = False

    def read(self, n: int = -1) -> bytes:
        data = self.fh.read(n if n is not None and n >= 0 else CHUNK)
        if data and not self.declares:
            probe = self.tail + data
            if b"<!ENTITY" in probe or b"<!DOCTYPE" in probe:
                self.declares = True
            self.tail = probe[-8:]
        return data

    def drain(self) -> None:
        while self.read(CHUNK):
            pass


class _MetsScan:
    """Streaming pass over one METS file (iterparse events).

    The ID bookkeeping of :meth:`_Validator.check_ids` is done here in document order, and
    each ``file`` of a ``fileGrp`` is checked when it ends; unless that gave a finding (or
    the file has no ID to anchor XPaths), only its references are kept and the element is
    cleared, so the tree held in memory is the METS without its file list.
    """

    def __init__(self, v: _Validator, doc: _Doc) -> None:
        self.v = v
        self.doc = doc
        self.outer: etree._Element | None = None

    def __call__(self, event: str, el: etree._Element) -> None:
        if event == "start":
            if self.outer is not None:
                return  # inside a fileSec file: handled when it ends
            parent = el.getparent()
            if el.tag == _FILE and parent is not None and parent.tag == _FILEGRP:
                self.outer = el
                return
            self.record_ids(el, live=True)
        elif el is self.outer:
            self.outer = None
            self.file_done(el)

    def record_ids(self, el: etree._Element, *, live: bool) -> None:
        """Note ``el``'s ID (a duplicate?) and its ID references, in document order.

        ``live`` keeps the element to compute XPaths at the end (it stays in the tree);
        otherwise they are computed now (the element is about to be cleared).
        """
        doc = self.doc
        ident = el.get("ID")
        if ident is not None:
            dup = ident in doc.ids
            if dup or ident in self.v.ids:
                doc.id_log.append((dup, ident, el if live else xpath_of(el, "ID")))
            doc.ids[ident] = _local(el.tag)
        for attr in _IDREF_TARGETS:
            value = el.get(attr)
            if value:
                for token in value.split():
                    doc.idrefs.append((attr, token, el if live else xpath_of(el, attr)))

    def file_done(self, el: etree._Element) -> None:
        anchored = _anchored(el)
        for sub in el.iter():
            if isinstance(sub.tag, str):
                self.record_ids(sub, live=not anchored)
        findings, refs, referenced = self.v.capture(lambda: self.v.check_file(self.doc, el))
        group = el.getparent()
        assert group is not None
        slot = self.doc.files.setdefault(group, [])
        if anchored and not findings and next(el.iter(_FILEGRP), None) is None:
            slot.extend(refs)
            slot.extend(referenced)
            el.clear()  # an empty placeholder keeps sibling positions for XPaths
        else:
            slot.append(el)


_P = "{" + PREMIS + "}"
_PREMIS_OBJECT = _P + "object"
_ERMS_APPENDIX = "{" + ERMS + "}appendix"
_ALGO_ALIASES = {"SHA256": "SHA-256", "SHA512": "SHA-512", "SHA1": "SHA-1"}


def _premis_mismatches(obj: etree._Element, scope: str, declared: dict[tuple[str, str], str]
                       ) -> Iterator[tuple[str, str, etree._Element]]:
    """(file, algorithm, fixity element) of each fixity of a PREMIS object whose digest
    differs from the METS CHECKSUM declared for the same file."""
    value = obj.findtext(f"{_P}objectIdentifier/{_P}objectIdentifierValue") or ""
    target = posixpath.normpath(posixpath.join(scope, value.strip())) if value else ""
    for fx in obj.iter(f"{_P}fixity"):
        algo = (fx.findtext(f"{_P}messageDigestAlgorithm") or "").strip().upper()
        digest = (fx.findtext(f"{_P}messageDigest") or "").strip().lower()
        algo = _ALGO_ALIASES.get(algo, algo)
        want = declared.get((target, algo))
        if want is not None and digest and digest != want.lower():
            yield target, algo, fx


# Elements cleared when they end (besides the units): those that come once per file or per
# record, so that what stays in memory does not grow with the number of files.
_PREMIS_CLEAR = (_PREMIS_OBJECT,) + tuple(_P + t for t in (
    "event", "agent", "rights", "linkingObjectIdentifier", "linkingEventIdentifier",
    "linkingAgentIdentifier", "linkingRightsStatementIdentifier"))
_ERMS_CLEAR = (_ERMS_APPENDIX,) + tuple("{" + ERMS + "}" + t for t in (
    "record", "aggregation", "agent", "relation"))


class _ContentScan:
    """Streaming pass over a package XML file that is not a METS file.

    The root's namespace is read first (the opening of the file). In PREMIS each
    ``object``, in ERMS each ``appendix`` (a "unit") is checked when it ends, with the units
    nested in it. Then it is cleared, and so are ERMS records and aggregations, unless they
    hold a unit with a finding: such a unit and its ancestors stay whole, and cleared
    elements stay as empty placeholders, so the XPaths of findings come out as on the whole
    tree. In any other XML file every element is dropped when it ends.
    """

    def __init__(self, v: _Validator, member: str,
                 declared: Callable[[], dict[tuple[str, str], str]]) -> None:
        self.v = v
        self.member = member
        self.namespace = _root_namespace(v.r, member)
        self.unit = {PREMIS: _PREMIS_OBJECT, ERMS: _ERMS_APPENDIX}.get(self.namespace or "")
        self._declared_fn = declared
        self._declared: dict[tuple[str, str], str] | None = None
        # PREMIS lives in <scope>/metadata/preservation/; identifiers are relative to <scope>
        self.scope = member.split("metadata/preservation/")[0].rstrip("/")
        self.base = posixpath.dirname(member)
        self.premis_hits: list[tuple[str, str, etree._Element]] = []
        self.missing: list[tuple[etree._Element, str]] = []  # ERMS appendix, its target
        self._dirty: set[etree._Element] = set()
        if self.unit is None:
            self.root = v.stream(member, _drop, events=("end",))
        else:
            tags = _PREMIS_CLEAR if self.unit == _PREMIS_OBJECT else _ERMS_CLEAR
            self.root = v.stream(member, self, events=("end",), tag=tags)
        if self.root is not None:
            self.namespace = etree.QName(self.root).namespace or ""
            if self.unit is not None and self.namespace not in (PREMIS, ERMS):
                self.premis_hits, self.missing = [], []  # pragma: no cover - sniffed wrong

    def __call__(self, event: str, el: etree._Element) -> None:
        if el.tag == self.unit:
            if next(el.iterancestors(self.unit), None) is not None:
                return  # checked with the outermost unit
            self._check_unit(el)
        elif next(el.iterancestors(self.unit), None) is not None:
            return  # inside a unit: cleared with it
        if el not in self._dirty and el.getparent() is not None:
            el.clear()

    def _check_unit(self, unit: etree._Element) -> None:
        """Check a unit and the units nested in it, in document order (as ``iter``)."""
        for el in unit.iter(self.unit):
            hit = False
            if self.unit == _PREMIS_OBJECT:
                if self._declared is None:
                    self._declared = self._declared_fn()
                for found in _premis_mismatches(el, self.scope, self._declared):
                    self.premis_hits.append(found)
                    hit = True
            else:
                path = el.get("path")
                if path:
                    target = posixpath.normpath(posixpath.join(self.base, unquote(path)))
                    if not self.v.r.exists(target):
                        self.missing.append((el, target))
                        hit = True
            if hit:
                node: etree._Element | None = el
                while node is not None and node not in self._dirty:
                    self._dirty.add(node)
                    node = node.getparent()


def _drop(event: str, el: etree._Element) -> None:
    """Forget an element of an XML file that needs no checks beyond parsing."""
    el.clear()
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


def _root_namespace(reader: PackageReader, member: str) -> str | None:
    """The namespace of an XML file's root element, from its opening; None if unknown."""
    try:
        with reader.open(member) as fh:
            for _event, el in etree.iterparse(_Sniff(fh), events=("start",),
                                              resolve_entities=False, no_network=True,
                                              load_dtd=False, remove_comments=False,
                                              huge_tree=True):
                return etree.QName(el).namespace or ""
    except (*_READ_ERRORS, etree.XMLSyntaxError):
        return None
    return None


_LOCAL = threading.local()


def _read_through(reader: PackageReader, member: str, hashes: Iterable[_Hash]) -> int:
    """Read one member once, in large buffers, through ``hashes``; return its size.

    Raises what reading a damaged member raises (see ``_READ_ERRORS``).
    """
    buf: bytearray | None = getattr(_LOCAL, "buf", None)
    if buf is None:
        buf = _LOCAL.buf = bytearray(READ_BUFFER)
    updates = [h.update for h in hashes]
    n = 0
    with reader.open(member) as fh, memoryview(buf) as view:
        while count := fh.readinto(buf):  # type: ignore[attr-defined]
            n += count
            chunk = view[:count]
            for update in updates:
                update(chunk)
            chunk.release()
    return n


class _Digest:
    """A finished digest with the hashlib interface (from :class:`_Prefetch`)."""

    def __init__(self, hexdigest: str) -> None:
        self._hex = hexdigest

    def update(self, data: bytes | memoryview, /) -> None:  # pragma: no cover - never fed
        raise TypeError("finished digest")

    def hexdigest(self) -> str:
        return self._hex


class _Prefetch:
    """SHA-256 of every member of a folder package, in worker threads, started before the
    METS files are parsed, so that reading and hashing overlap with the parsing. The fixity
    check takes these results for members whose METS checksum is SHA-256 (nearly all) and
    reads only the others; a member that could not be read is read again there, so its
    error is reported as before. Keeps (digest, size) per member, nothing else.
    """

    def __init__(self, reader: PackageReader) -> None:
        self.reader = reader
        self.members = reader.entries()  # sorted: a member's index is found by bisection
        # 32 bytes of digest and a size per member, -1 = not hashed: no object per file
        self.digests = bytearray(32 * len(self.members))
        self.sizes = array("q", [-1]) * len(self.members)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="diariekit-prefetch",
                                        daemon=True)
        self._thread.start()

    def _batches(self) -> Iterator[list[str]]:
        batch: list[str] = []
        size = 0
        for member in self.members:
            if self._stop.is_set():
                return
            batch.append(member)
            size += self.reader.size(member)
            if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
                yield batch
                batch, size = [], 0
        if batch:
            yield batch

    def _hash_batch(self, batch: list[str]) -> None:
        for member in batch:
            if self._stop.is_set():
                break
            h = hashlib.sha256()
            try:
                size = _read_through(self.reader, member, (h,))
            except _READ_ERRORS:
                continue  # read again by the fixity check, which reports the error
            k = bisect_left(self.members, member)
            self.digests[32 * k:32 * k + 32] = h.digest()
            self.sizes[k] = size

    def _run(self) -> None:
        with closing(ordered_map(self._hash_batch, self._batches())) as done:
            for _ in done:
                pass

    def finish(self) -> None:
        """Wait for the hashing to end."""
        self._thread.join()

    def get(self, member: str) -> tuple[str, int] | None:
        """(SHA-256 hex, size) of a member, or None when it was not read."""
        k = bisect_left(self.members, member)
        if k == len(self.members) or self.members[k] != member or self.sizes[k] < 0:
            return None
        return self.digests[32 * k:32 * k + 32].hex(), self.sizes[k]

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


# --------------------------------------------------------------------------- validator


class _Validator:
    def __init__(self, reader: PackageReader, schemas: SchemaSet | None,
                 checksums: bool) -> None:
        self.r = reader
        self.schemas = schemas
        self.checksums = checksums
        self.levels = load_levels(schemas)
        self.vocab = load_vocabularies(schemas)
        self.findings: list[Finding] = list(reader.findings)
        self.skipped: list[str] = []
        self.refs: list[_Ref] = []
        self.referenced: set[str] = set()
        self.mets_members: set[str] = set()
        self.ids: dict[str, str] = {}
        self.files_checked = 0
        self.bytes_checked = 0
        self.mets_ok: set[str] = set()
        self.prefetch: _Prefetch | None = None
        self.rep_cit: dict[str, tuple[str | None, str]] = {}
        self.version = "2.1.0"
        self._lower: dict[str, str] | None = None
        self._nfc: dict[str, str] | None = None

    # -- reporting

    def add(self, code: str, message: str, file: str | None = None,
            xpath: str | None = None, severity: Severity | None = None) -> None:
        if severity is None:
            severity = OWN_SEVERITY.get(code) or _SEVERITY[self.levels.get(code, "MUST")]
        level = self.levels.get(code)
        if level and severity != _SEVERITY[level] and code not in OWN_SEVERITY:
            # e.g. a MAY attribute whose value is then a MUST (CSIP5, CSIP63)
            text = f"{level} ({severity} here): {message}"
        else:
            text = f"{level}: {message}" if level else message
        self.findings.append(Finding(code, severity, text, Location(file, None, xpath)))

    # -- XML

    def capture(self, fn: Callable[[], None]) -> tuple[list[Finding], list[_Ref], list[str]]:
        """Run ``fn`` with findings, references and referenced members collected apart."""
        saved = self.findings, self.refs, self.referenced
        findings: list[Finding] = []
        refs: list[_Ref] = []
        seen: set[str] = set()
        self.findings, self.refs, self.referenced = findings, refs, seen
        try:
            fn()
        finally:
            self.findings, self.refs, self.referenced = saved
        return findings, refs, sorted(seen)

    def stream(self, member: str,
               handler: Callable[[str, etree._Element], None] | None = None,
               events: tuple[str, ...] = ("start", "end"),
               tag: tuple[str, ...] | None = None) -> etree._Element | None:
        """Parse a package XML file incrementally and safely (never expanding entities).

        ``handler(event, element)`` sees every iterparse event and may clear what it has
        checked. Returns the root (what is left of the tree), or None when the file cannot
        be read or is not well-formed; then only that is reported and whatever the handler
        reported is withdrawn.
        """
        mark = len(self.findings)
        root: etree._Element | None = None
        try:
            with self.r.open(member) as fh:
                sniff = _Sniff(fh)
                it = etree.iterparse(
                    sniff, events=events, tag=tag, resolve_entities=False, no_network=True,
                    load_dtd=False, dtd_validation=False, remove_comments=False,
                    huge_tree=self.r.size(member) > 10_000_000)
                try:
                    for event, el in it:
                        if handler is not None:
                            handler(event, el)
                    root = it.root
                except etree.XMLSyntaxError as exc:
                    sniff.drain()
                    del self.findings[mark:]
                    self.add("DK-XML-WELLFORMED",
                             f"not well-formed XML: {self._syntax_error(member) or exc}", member)
                    if sniff.declares:
                        self.add("DK-XML-DTD", "the file declares a DTD or entities (possible "
                                 "XXE); entities are never expanded or loaded", member)
                    return None
        except _READ_ERRORS as exc:
            del self.findings[mark:]
            self.add("DK-UNREADABLE-MEMBER", f"cannot read the member: {exc}", member)
            return None
        if root is None:  # pragma: no cover - iterparse raises on an empty document
            return None
        info = root.getroottree().docinfo
        if info.doctype or info.internalDTD is not None or info.system_url:
            self.add("DK-XML-DTD", "the file declares a DTD or entities (DOCTYPE; possible "
                     "XXE); entities are never expanded or loaded", member)
        return root

    def _syntax_error(self, member: str) -> etree.XMLSyntaxError | None:
        """The error of a whole-document parse (its wording differs a little from the
        incremental parser's); only for a file already known to be broken."""
        try:
            with self.r.open(member) as fh:
                data = fh.read()
            etree.fromstring(data, safe_parser(huge_tree=len(data) > 10_000_000))
        except etree.XMLSyntaxError as exc:
            return exc
        except _READ_ERRORS:
            return None
        return None

    def tree(self, member: str) -> etree._ElementTree | None:
        """The whole tree of a package XML file, for XML Schema validation only (drop it
        after use). Problems were already reported by :meth:`stream`; None on any."""
        try:
            with self.r.open(member) as fh:
                parser = safe_parser(huge_tree=self.r.size(member) > 10_000_000)
                return etree.parse(_Sniff(fh), parser)
        except (*_READ_ERRORS, etree.XMLSyntaxError):
            return None

    def xsd(self, code: str, member: str, tree: etree._ElementTree,
            schema: etree.XMLSchema) -> bool:
        try:
            ok = schema.validate(tree)
        except etree.XMLSchemaValidateError as exc:
            self.findings.append(Finding(code, Severity.ERROR,
                                         f"schema validation impossible: {exc}",
                                         Location(member)))
            return False
        if not ok:
            for err in list(schema.error_log)[:50]:
                self.findings.append(Finding(
                    code, Severity.ERROR, f"schema: {err.message}",
                    Location(member, err.line or None, err.path or None)))
        return bool(ok)

    def schematron(self, code: str, member: str, tree: etree._ElementTree,
                   rules: SchematronRules | None) -> None:
        """Findings for the Schematron rules that fail in ``tree`` (MUST an error, SHOULD a
        warning); a note in ``skipped`` when the rules cannot be run as XPath 1.0."""
        if rules is None:
            return
        failures = rules.check(tree)  # [] when not usable, or when it failed while it ran
        if not rules.usable:
            if rules.reason and rules.reason not in self.skipped:
                self.skipped.append(rules.reason)
            return
        for failure in failures[:50]:
            el = failure.element
            self.findings.append(Finding(
                code, Severity.WARNING if failure.warning else Severity.ERROR,
                f"rule: {failure.message}",
                Location(member, el.sourceline if el is not None else None,
                         xpath_of(el) if el is not None else None)))

    # -- main

    def run(self) -> None:
        if self.checksums and self.r.concurrent:
            self.prefetch = _Prefetch(self.r)
        try:
            self._run()
        finally:
            if self.prefetch is not None:
                self.prefetch.stop()
                self.prefetch = None

    def _run(self) -> None:
        self.check_structure()
        root_member = "METS.xml"
        if not self.r.exists(root_member):
            self.check_other_xml()
            return
        self.mets_members.add(root_member)
        root_doc = self.load_mets(root_member, "", "root")
        if root_doc is not None:
            profile = root_doc.root.get("PROFILE") or ""
            if "v2-2-0" in profile:
                self.version = "2.2.0"
                self.vocab = load_vocabularies(self.schemas, "2.2.0")
            self.check_mets(root_doc)
        del root_doc
        for rep in self.representation_folders():
            member = f"{rep}/METS.xml"
            if not self.r.exists(member):
                continue
            self.mets_members.add(member)
            rep_doc = self.load_mets(member, rep, "rep")
            if rep_doc is not None:
                self.check_mets(rep_doc)
            del rep_doc  # never kept: one METS in memory at a time
        self.ids = {}  # only needed while METS files are checked
        self.check_fixity()
        if self.prefetch is not None:
            self.prefetch.stop()
            self.prefetch = None
        self.check_unreferenced()
        self.check_other_xml()

    def load_mets(self, member: str, base: str, kind: str) -> _Doc | None:
        """Stream one METS file (see :class:`_MetsScan`); None when it does not parse."""
        doc = _Doc(member, base, etree.Element("mets"), kind)
        root = self.stream(member, _MetsScan(self, doc))
        if root is None:
            return None
        doc.root = root
        self.mets_ok.add(member)
        if kind == "rep":
            self.rep_cit[member] = (root.get(f"{{{CSIP}}}CONTENTINFORMATIONTYPE"),
                                    root.get(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE") or "")
        return doc

    def representation_folders(self) -> list[str]:
        return sorted(d for d in self.r.dirs()
                      if d.startswith("representations/") and d.count("/") == 1)

    # -- structure (CSIPSTR)

    def check_structure(self) -> None:
        entries = self.r.entries()
        dirs = self.r.dirs()
        if not self.r.exists("METS.xml"):
            near = [e for e in entries if "/" not in e and e.lower() == "mets.xml"]
            hint = f" (found {near[0]!r}: the name is case-sensitive)" if near else ""
            self.add("CSIPSTR4", "the package root folder has no METS.xml" + hint, "METS.xml")
        for name, code in (("metadata", "CSIPSTR5"), ("representations", "CSIPSTR9")):
            if name not in dirs:
                wrong = [d for d in dirs if "/" not in d and d.lower() == name]
                hint = f" (found {wrong[0]!r}: folder names are case-sensitive)" if wrong else ""
                self.add(code, f"the package root has no '{name}' folder{hint}", name)
        for e in entries:
            parts = e.split("/")
            if parts[0] == "representations" and len(parts) == 2:
                self.add("CSIPSTR10", "files directly in 'representations/' must sit in a "
                         "representation folder", e)
        reps = self.representation_folders()
        lower: dict[str, str] = {}
        for rep in reps:
            key = rep.lower()
            if key in lower:
                self.add("CSIPSTR10", f"representation folder names differ only in case: "
                         f"{lower[key]!r} and {rep!r}", rep)
            lower[key] = rep
            if f"{rep}/data" not in dirs:
                self.add("CSIPSTR11", "the representation has no 'data' folder", rep)
            if not self.r.exists(f"{rep}/METS.xml"):
                self.add("CSIPSTR12", "the representation has no METS.xml", rep)
            if f"{rep}/metadata" not in dirs:
                self.add("CSIPSTR13", "the representation has no 'metadata' folder", rep)
        xsds = [e for e in entries if e.lower().endswith(".xsd")
                and (e.startswith("schemas/") or re.match(r"representations/[^/]+/schemas/", e))]
        if any(e.lower().endswith(".xml") for e in entries) and not xsds:
            self.add("CSIPSTR15", "no XML schema (.xsd) is included in a 'schemas' folder",
                     "schemas")
        if "documentation" not in dirs and not any(
                re.match(r"representations/[^/]+/documentation$", d) for d in dirs):
            self.add("CSIPSTR16", "no 'documentation' folder at package or representation "
                     "level", "documentation")

    # -- METS

    def check_mets(self, doc: _Doc) -> None:
        root = doc.root
        if root.tag != _m("mets"):
            self.add("XSD-METS", f"the root element is {root.tag!r}, not mets:mets",
                     doc.member, "/")
            return
        if self.schemas is not None:
            tree = self.tree(doc.member)  # the whole tree only while it is validated
            if tree is not None:
                self.xsd("XSD-METS", doc.member, tree, self.schemas.mets(self.version))
            del tree
        self.check_ids(doc)
        self.check_root_element(doc)
        # The profile the package claims decides: a CSIP-profile package may well say
        # OAISPACKAGETYPE="SIP" (CSIP9) without taking on the E-ARK SIP requirements.
        profile = root.get("PROFILE")
        is_sip = doc.kind == "root" and (profile in SIP_PROFILES or (
            self._pkgtype(root) == "SIP" and profile not in CSIP_PROFILES))
        self.check_header(doc, is_sip)
        self.check_md_sections(doc)
        groups = self.check_file_sec(doc)
        self.check_struct_map(doc, groups)

    def _pkgtype(self, root: etree._Element) -> str | None:
        hdr = _children(root, "metsHdr")
        return hdr[0].get(f"{{{CSIP}}}OAISPACKAGETYPE") if hdr else None

    def vocab_ok(self, name: str, value: str) -> bool:
        return value in self.vocab.get(name, set())

    def check_ids(self, doc: _Doc) -> None:
        """IDs unique in the METS (and across METS files), ID references that resolve to an
        element of the right kind; from what :class:`_MetsScan` noted in document order."""
        for dup, v, where in doc.id_log:
            xpath = where if isinstance(where, str) else xpath_of(where, "ID")
            if dup:
                self.add("DK-ID-UNIQUE", f"ID {v!r} is used more than once in this METS",
                         doc.member, xpath)
            else:
                self.add("DK-ID-UNIQUE", f"ID {v!r} is also used in {self.ids[v]}; CSIP asks "
                         "for IDs unique across the package", doc.member, xpath,
                         Severity.WARNING)
        for v in doc.ids:
            self.ids.setdefault(v, doc.member)
        for attr, token, where in doc.idrefs:
            kinds = _IDREF_TARGETS[attr]
            target = doc.ids.get(token)
            if target is not None and target in kinds:
                continue
            xpath = where if isinstance(where, str) else xpath_of(where, attr)
            if attr == "ADMID" and re.search(r"fileGrp(\[[^/]*\])?/@ADMID$", xpath):
                what = "no ID in this METS" if target is None else f"a {target}"
                self.add("CSIP61", f"fileGrp/@ADMID {token!r} points at {what}, not at "
                         "administrative metadata", doc.member, xpath, Severity.ERROR)
                continue
            if target is None:
                self.add("DK-IDREF", f"@{attr} {token!r} points at no ID in this METS",
                         doc.member, xpath)
            else:
                self.add("DK-IDREF", f"@{attr} {token!r} points at a {target}, expected "
                         f"{' or '.join(sorted(kinds))}", doc.member, xpath)

    def check_root_element(self, doc: _Doc) -> None:
        root, f = doc.root, doc.member
        objid = root.get("OBJID")
        folder = self.r.root_name if doc.kind == "root" else posixpath.basename(doc.base)
        if not objid:
            self.add("CSIP1", "mets/@OBJID is missing", f, "/mets/@OBJID")
        elif doc.kind == "root" and objid != folder:
            self.add("CSIPSTR2", f"the package root folder {folder!r} is not named after "
                     f"mets/@OBJID {objid!r}", f, "/mets/@OBJID")
        elif doc.kind == "rep" and objid != folder:
            self.add("CSIP1", f"mets/@OBJID {objid!r} of a representation METS should be the "
                     f"representation folder name {folder!r}", f, "/mets/@OBJID",
                     Severity.WARNING)
        typ = root.get("TYPE")
        if typ is None:
            self.add("CSIP2", "mets/@TYPE (content category) is missing", f, "/mets/@TYPE")
        elif not (self.vocab_ok("VocabularyContentCategory", typ) or typ == "OTHER"):
            self.add("CSIP2", f"mets/@TYPE {typ!r} is not in the content-category vocabulary "
                     "(use OTHER with csip:OTHERTYPE)", f, "/mets/@TYPE")
        if typ in ("OTHER", "Other") and not root.get(f"{{{CSIP}}}OTHERTYPE"):
            self.add("CSIP3", "mets/@TYPE is OTHER but csip:OTHERTYPE is missing", f,
                     "/mets/@csip:OTHERTYPE")
        cit = root.get(f"{{{CSIP}}}CONTENTINFORMATIONTYPE")
        if cit is None:
            extra = " (it is mandatory in a representation METS)" if doc.kind == "rep" else ""
            self.add("CSIP4", "mets/@csip:CONTENTINFORMATIONTYPE is missing" + extra, f,
                     "/mets/@csip:CONTENTINFORMATIONTYPE")
        else:
            if not self.vocab_ok("ContentInformationTypeSpecification", cit):
                self.add("CSIP4", f"csip:CONTENTINFORMATIONTYPE {cit!r} is not in the "
                         "vocabulary (use OTHER with csip:OTHERCONTENTINFORMATIONTYPE)", f,
                         "/mets/@csip:CONTENTINFORMATIONTYPE")
            if cit == "OTHER" and not root.get(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE"):
                self.add("CSIP5", "csip:CONTENTINFORMATIONTYPE is OTHER but "
                         "csip:OTHERCONTENTINFORMATIONTYPE is missing", f,
                         "/mets/@csip:OTHERCONTENTINFORMATIONTYPE", Severity.ERROR)
        profile = root.get("PROFILE")
        if not profile:
            self.add("CSIP6", "mets/@PROFILE is missing", f, "/mets/@PROFILE")
        elif doc.kind == "root" and self._pkgtype(root) == "SIP" \
                and profile in CSIP_PROFILES:
            self.add("DK-SIP-PROFILE", "the package says OAISPACKAGETYPE='SIP' but claims "
                     "the CSIP profile only, so the E-ARK SIP requirements were not checked; "
                     "a delivery under FGS Paketstruktur 2.0 needs mets/@PROFILE "
                     f"{SIP_PROFILE_URL!r}", f, "/mets/@PROFILE")
        elif doc.kind == "root" and self._pkgtype(root) == "SIP" \
                and profile not in SIP_PROFILES:
            self.add("SIP2", f"mets/@PROFILE of a SIP must be the E-ARK SIP profile URL, "
                     f"found {profile!r}", f, "/mets/@PROFILE")

    def check_header(self, doc: _Doc, is_sip: bool) -> None:
        f = doc.member
        hdrs = _children(doc.root, "metsHdr")
        if not hdrs:
            self.add("CSIP117", "mets/metsHdr is missing", f, "/mets/metsHdr")
            return
        hdr = hdrs[0]
        created = hdr.get("CREATEDATE")
        if created is None:
            self.add("CSIP7", "metsHdr/@CREATEDATE is missing", f, xpath_of(hdr, "CREATEDATE"))
        elif not _DATETIME.match(created):
            self.add("CSIP7", f"metsHdr/@CREATEDATE {created!r} is not an xs:dateTime", f,
                     xpath_of(hdr, "CREATEDATE"))
        lastmod = hdr.get("LASTMODDATE")
        if lastmod is not None and not _DATETIME.match(lastmod):
            self.add("CSIP8", f"metsHdr/@LASTMODDATE {lastmod!r} is not an xs:dateTime", f,
                     xpath_of(hdr, "LASTMODDATE"))
        elif lastmod is not None:
            self.check_dates(f, hdr, created, lastmod)
        ptype = hdr.get(f"{{{CSIP}}}OAISPACKAGETYPE")
        if ptype is None:
            self.add("CSIP9", "metsHdr/@csip:OAISPACKAGETYPE is missing", f,
                     xpath_of(hdr, f"{{{CSIP}}}OAISPACKAGETYPE"))
        elif not self.vocab_ok("VocabularyOAISPackageType", ptype):
            self.add("CSIP9", f"csip:OAISPACKAGETYPE {ptype!r} is not in the vocabulary "
                     "(SIP, AIP, DIP, AIU, AIC; case matters)", f,
                     xpath_of(hdr, f"{{{CSIP}}}OAISPACKAGETYPE"))
        elif is_sip and ptype != "SIP":
            self.add("SIP4", f"csip:OAISPACKAGETYPE must be SIP in a submission package, found "
                     f"{ptype!r}", f, xpath_of(hdr, f"{{{CSIP}}}OAISPACKAGETYPE"))
        status = hdr.get("RECORDSTATUS")
        if status is not None and is_sip and not self.vocab_ok("VocabularyRECORDSTATUS", status):
            self.add("SIP3", f"metsHdr/@RECORDSTATUS {status!r} is not in the vocabulary", f,
                     xpath_of(hdr, "RECORDSTATUS"))
        agents = _children(hdr, "agent")
        if not agents:
            self.add("CSIP10", "metsHdr has no agent (the creating software must be one)", f,
                     xpath_of(hdr) + "/agent")
        else:
            self.check_software_agent(f, hdr, agents)
        for agent in agents:
            for note in _children(agent, "note"):
                nt = note.get(f"{{{CSIP}}}NOTETYPE")
                if nt is not None and not self.vocab_ok("VocabularyNoteType", nt):
                    self.add("CSIP16", f"csip:NOTETYPE {nt!r} is not in the vocabulary", f,
                             xpath_of(note, f"{{{CSIP}}}NOTETYPE"))
        if is_sip:
            self.check_sip_agents(f, agents)
            self.check_alt_record_ids(f, hdr)

    def check_dates(self, f: str, hdr: etree._Element, created: str | None,
                    lastmod: str) -> None:
        """CSIP8: a modification date lies neither in the future nor before the creation."""
        modified = parse_datetime(lastmod)
        if modified is None:
            return
        made = parse_datetime(created) if created else None
        where = xpath_of(hdr, "LASTMODDATE")
        if modified > datetime.now(UTC) + _CLOCK_SKEW:
            self.add("CSIP8", f"metsHdr/@LASTMODDATE {lastmod!r} lies in the future", f, where)
        elif made is not None and modified < made:
            self.add("CSIP8", f"metsHdr/@LASTMODDATE {lastmod!r} is before @CREATEDATE "
                     f"{created!r}", f, where)

    def check_software_agent(self, f: str, hdr: etree._Element,
                             agents: list[etree._Element]) -> None:
        where = xpath_of(hdr) + "/agent"
        creators = [a for a in agents if a.get("ROLE") == "CREATOR"]
        if not creators:
            self.add("CSIP11", "no agent with ROLE='CREATOR' (the creating software)", f, where)
            return
        others = [a for a in creators if a.get("TYPE") == "OTHER"]
        if not others:
            self.add("CSIP12", "the creating software agent must have TYPE='OTHER'", f, where)
            return
        software = [a for a in others if a.get("OTHERTYPE") == "SOFTWARE"]
        if not software:
            self.add("CSIP13", "the creating software agent must have OTHERTYPE='SOFTWARE'", f,
                     where)
            return
        agent = software[0]
        names = _children(agent, "name")
        if not names or not (names[0].text or "").strip():
            self.add("CSIP14", "the software agent has no name", f, xpath_of(agent) + "/name")
        elif len(names) > 1:
            self.add("CSIP14", f"the software agent has {len(names)} names; it takes one", f,
                     xpath_of(names[1]))
        notes = _children(agent, "note")
        if not notes:
            self.add("CSIP15", "the software agent has no note with its version", f,
                     xpath_of(agent) + "/note")
        elif len(notes) > 1:
            self.add("CSIP15", f"the software agent has {len(notes)} notes; it takes one, "
                     "with its version", f, xpath_of(notes[1]))
        elif not any(n.get(f"{{{CSIP}}}NOTETYPE") == "SOFTWARE VERSION" for n in notes):
            self.add("CSIP16", "the software agent's version note needs "
                     "csip:NOTETYPE='SOFTWARE VERSION'", f, xpath_of(notes[0]))

    def _typed_notes(self, code: str, f: str, agent: etree._Element) -> None:
        for note in _children(agent, "note"):
            if note.get(f"{{{CSIP}}}NOTETYPE") != "IDENTIFICATIONCODE":
                self.add(code, "the agent's identification note needs "
                         "csip:NOTETYPE='IDENTIFICATIONCODE'", f,
                         xpath_of(note, f"{{{CSIP}}}NOTETYPE"))

    def check_sip_agents(self, f: str, agents: list[etree._Element]) -> None:
        for a in agents:
            role, typ = a.get("ROLE"), a.get("TYPE")
            if role == "ARCHIVIST":
                if typ not in ("ORGANIZATION", "INDIVIDUAL"):
                    self.add("SIP11", f"archival creator agent TYPE must be ORGANIZATION or "
                             f"INDIVIDUAL, found {typ!r}", f, xpath_of(a, "TYPE"))
                self._typed_notes("SIP14", f, a)
            elif role == "PRESERVATION":
                if typ != "ORGANIZATION":
                    self.add("SIP28", f"preservation agent TYPE must be ORGANIZATION, found "
                             f"{typ!r}", f, xpath_of(a, "TYPE"))
                self._typed_notes("SIP31", f, a)
            elif role == "CREATOR" and typ == "ORGANIZATION":
                self._typed_notes("SIP20", f, a)
            elif role == "CREATOR" and typ == "INDIVIDUAL":
                names = _children(a, "name")
                if not names or not (names[0].text or "").strip():
                    self.add("SIP24", "the contact agent has no name", f,
                             xpath_of(a) + "/name")
        submitters = [a for a in agents if a.get("ROLE") == "CREATOR"
                      and a.get("TYPE") in ("ORGANIZATION", "INDIVIDUAL")]
        orgs = [a for a in submitters if a.get("TYPE") == "ORGANIZATION"]
        where = "/mets/metsHdr/agent"
        if not submitters:
            self.add("SIP15", "no submitting agent (ROLE='CREATOR', TYPE='ORGANIZATION' or "
                     "'INDIVIDUAL')", f, where)
        elif len(orgs) > 1:
            self.add("SIP15", f"exactly one submitting agent is allowed, found {len(orgs)} "
                     "with ROLE='CREATOR' TYPE='ORGANIZATION'", f, where)

    def check_alt_record_ids(self, f: str, hdr: etree._Element) -> None:
        codes = {"SUBMISSIONAGREEMENT": "SIP5", "PREVIOUSSUBMISSIONAGREEMENT": "SIP6",
                 "REFERENCECODE": "SIP7", "PREVIOUSREFERENCECODE": "SIP8"}
        counts: dict[str, int] = {}
        for alt in _children(hdr, "altRecordID"):
            t = alt.get("TYPE")
            if t is None or not self.vocab_ok("VocabularyaltrecordIDTYPE", t):
                self.add("SIP5", f"altRecordID TYPE {t!r} is not in the SIP vocabulary", f,
                         xpath_of(alt, "TYPE"))
                continue
            counts[t] = counts.get(t, 0) + 1
            if not (alt.text or "").strip():
                # optional, but an empty reference is a mistake worth seeing
                self.add(codes.get(t, "SIP5"), f"altRecordID TYPE='{t}' is empty", f,
                         xpath_of(alt), Severity.WARNING)
        for t, code in (("SUBMISSIONAGREEMENT", "SIP5"), ("REFERENCECODE", "SIP7")):
            if counts.get(t, 0) > 1:
                self.add(code, f"at most one altRecordID TYPE='{t}' is allowed, found "
                         f"{counts[t]}", f, "/mets/metsHdr/altRecordID", Severity.WARNING)

    # -- dmdSec / amdSec

    def check_md_sections(self, doc: _Doc) -> None:
        f = doc.member
        scope = doc.base + "/" if doc.base else ""
        entries = self.r.entries()
        if any(e.startswith(scope + "metadata/descriptive/") for e in entries) and \
                not _children(doc.root, "dmdSec"):
            self.add("CSIP17", f"{scope}metadata/descriptive/ has files but there is no dmdSec",
                     f, "/mets/dmdSec")
        if any(e.startswith(scope + "metadata/preservation/") for e in entries):
            if not _children(doc.root, "amdSec"):
                self.add("CSIP31", f"{scope}metadata/preservation/ has files but there is no "
                         "amdSec", f, "/mets/amdSec")
            elif not doc.root.findall(f"{_m('amdSec')}/{_m('digiprovMD')}"):
                self.add("CSIP32", f"{scope}metadata/preservation/ has files but there is no "
                         "digiprovMD", f, "/mets/amdSec/digiprovMD")
        for sec in _children(doc.root, "dmdSec"):
            self.check_md(doc, sec, _MD_IDS["dmdSec"], created_id="CSIP19")
        amd = _children(doc.root, "amdSec")
        if len(amd) > 1:
            self.add("CSIP31", f"{len(amd)} amdSec elements; CSIP asks for a single amdSec", f,
                     "/mets/amdSec")
        for a in amd:
            for child in a:
                if not isinstance(child.tag, str):
                    continue
                local = etree.QName(child).localname
                if local in _MD_IDS:
                    self.check_md(doc, child, _MD_IDS[local])
                elif local in ("techMD", "sourceMD"):
                    for ref in _children(child, "mdRef"):
                        self.check_mdref(doc, ref, {})

    def check_md(self, doc: _Doc, sec: etree._Element, ids: dict[str, str],
                 created_id: str | None = None) -> None:
        f = doc.member
        if not sec.get("ID"):
            self.add(ids["id"], f"{etree.QName(sec).localname}/@ID is missing", f,
                     xpath_of(sec, "ID"))
        if created_id:
            created = sec.get("CREATED")
            if created is None:
                self.add(created_id, "dmdSec/@CREATED is missing", f, xpath_of(sec, "CREATED"))
            elif not _DATETIME.match(created):
                self.add(created_id, f"dmdSec/@CREATED {created!r} is not an xs:dateTime", f,
                         xpath_of(sec, "CREATED"))
        status = sec.get("STATUS")
        if status is None:
            self.add(ids["status"], f"{etree.QName(sec).localname}/@STATUS (CURRENT or "
                     "SUPERSEDED) is missing", f, xpath_of(sec, "STATUS"))
        elif not self.vocab_ok("VocabularyStatus", status):
            # optional, but a value given must come from the fixed vocabulary
            self.add(ids["status"], f"@STATUS {status!r} is not CURRENT or SUPERSEDED", f,
                     xpath_of(sec, "STATUS"), Severity.ERROR)
        refs = _children(sec, "mdRef")
        if not refs:
            self.add(ids["mdref"], f"{etree.QName(sec).localname} should reference its file "
                     "with an mdRef", f, xpath_of(sec) + "/mdRef")
        for ref in refs:
            self.check_mdref(doc, ref, ids)
            target = self._last_target
            if target and etree.QName(sec).localname == "dmdSec" and \
                    "/metadata/descriptive/" not in "/" + target:
                self.add("CSIPSTR7", f"descriptive metadata {target!r} is not in a "
                         "metadata/descriptive folder", f, xpath_of(ref, f"{{{XL}}}href"))
            if target and ref.get("MDTYPE") == "PREMIS" and \
                    "/metadata/preservation/" not in "/" + target:
                self.add("CSIPSTR6", f"preservation metadata {target!r} is not in a "
                         "metadata/preservation folder", f, xpath_of(ref, f"{{{XL}}}href"))

    _last_target: str | None = None

    def check_mdref(self, doc: _Doc, ref: etree._Element, ids: dict[str, str]) -> None:
        f = doc.member

        def need(key: str, attr: str, what: str) -> str | None:
            v: str | None = ref.get(attr)
            if v is None and key in ids:
                self.add(ids[key], f"mdRef/@{what} is missing", f, xpath_of(ref, attr))
            return v

        loctype = need("loctype", "LOCTYPE", "LOCTYPE")
        if loctype is not None and loctype != "URL" and "loctype" in ids:
            self.add(ids["loctype"], f"mdRef/@LOCTYPE must be URL, found {loctype!r}", f,
                     xpath_of(ref, "LOCTYPE"))
        xtype = need("xtype", f"{{{XL}}}type", "xlink:type")
        if xtype is not None and xtype != "simple" and "xtype" in ids:
            self.add(ids["xtype"], f"mdRef/@xlink:type must be simple, found {xtype!r}", f,
                     xpath_of(ref, f"{{{XL}}}type"))
        mdtype = need("mdtype", "MDTYPE", "MDTYPE")
        if mdtype == "OTHER" and not ref.get("OTHERMDTYPE") and "mdtype" in ids:
            self.add(ids["mdtype"], "MDTYPE is OTHER but OTHERMDTYPE is missing", f,
                     xpath_of(ref, "OTHERMDTYPE"))
        mime = need("mime", "MIMETYPE", "MIMETYPE")
        if mime is not None and not mime_ok(mime) and "mime" in ids:
            self.add(ids["mime"], f"MIMETYPE {mime!r} is not an IANA media type", f,
                     xpath_of(ref, "MIMETYPE"))
        size = need("size", "SIZE", "SIZE")
        created = need("mdcreated", "CREATED", "CREATED")
        if created is not None and not _DATETIME.match(created) and "mdcreated" in ids:
            self.add(ids["mdcreated"], f"CREATED {created!r} is not an xs:dateTime", f,
                     xpath_of(ref, "CREATED"))
        checksum = need("checksum", "CHECKSUM", "CHECKSUM")
        ctype = need("ctype", "CHECKSUMTYPE", "CHECKSUMTYPE")
        self._last_target = self.resolve(doc, ref, ids.get("href"), size, checksum, ctype,
                                         ids.get("size"), ids.get("checksum"), ids.get("ctype"))

    # -- references and fixity

    def resolve(self, doc: _Doc, el: etree._Element, href_id: str | None,
                size: str | None = None, checksum: str | None = None,
                ctype: str | None = None, size_id: str | None = None,
                checksum_id: str | None = None, ctype_id: str | None = None,
                fixity: bool = True) -> str | None:
        """Check an xlink:href and record the reference; return the member path or None."""
        f = doc.member
        attr = f"{{{XL}}}href"
        where = _LazyXPath(el, attr)
        code = href_id or "DK-HREF"
        sev = None if href_id else Severity.ERROR
        href = el.get(attr)
        if href is None or not href.strip():
            self.add(code, "xlink:href is missing", f, str(where), sev)
            return None
        if "\\" in href:
            self.add(code, f"xlink:href {href!r} uses a backslash; use '/'", f, str(where), sev)
            return None
        parts = urlsplit(href)
        if parts.scheme or parts.netloc or href.startswith("/"):
            self.add(code, f"xlink:href {href!r} must be a path relative to the METS file", f,
                     str(where), sev)
            return None
        member = None
        for candidate in dict.fromkeys((unquote(href), href, self._nfc_match(doc, href))):
            if candidate is None:
                continue
            joined = posixpath.normpath(posixpath.join(doc.base, candidate))
            if joined == ".." or joined.startswith("../"):
                self.add(code, f"xlink:href {href!r} leaves the package", f, str(where), sev)
                return None
            if self.r.exists(joined):
                member = joined
                break
            member = member or joined
        assert member is not None
        if ".." in href.split("/"):
            self.add("DK-HREF", f"xlink:href {href!r} uses '..'", f, str(where))
        if not self.r.exists(member):
            if self._lower is None:  # built once: many missing files stay linear
                self._lower = {}
                for e in self.r.entries():
                    self._lower.setdefault(e.lower(), e)
            near = self._lower.get(member.lower())
            hint = f" (found {near!r}: names are case-sensitive)" if near else ""
            self.add(code, f"referenced file {member!r} is not in the package{hint}", f, str(where),
                     sev)
            return member
        member = self.r.canonical(member)  # share the reader's string
        self.referenced.add(member)
        if ctype is not None and ctype_id and ctype not in _METS_CHECKSUMTYPES:
            self.add(ctype_id, f"CHECKSUMTYPE {ctype!r} is not a METS checksum type", f,
                     xpath_of(el, "CHECKSUMTYPE"))
        if size is not None and size_id and not size.isdigit():
            self.add(size_id, f"SIZE {size!r} is not a byte count", f, xpath_of(el, "SIZE"))
            size = None
        if checksum is not None and checksum_id and not _HEX.match(checksum) \
                and ctype not in ("HAVAL", "TIGER WHIRLPOOL"):
            self.add(checksum_id, f"CHECKSUM {checksum!r} is not hexadecimal", f,
                     xpath_of(el, "CHECKSUM"))
            checksum = None
        if fixity:
            self.refs.append(_Ref(member, f, xpath_of(el), size, checksum, ctype, size_id,
                                  checksum_id))
        return member

    def _nfc_match(self, doc: _Doc, href: str) -> str | None:
        """The href as written in the package, when they differ only in Unicode form (NFC/NFD,
        as archives made on macOS do); relative to the METS folder."""
        if unquote(href).isascii():
            return None
        if self._nfc is None:
            self._nfc = {unicodedata.normalize("NFC", e): e for e in self.r.entries()}
        joined = posixpath.normpath(posixpath.join(doc.base, unquote(href)))
        found = self._nfc.get(unicodedata.normalize("NFC", joined))
        if found is None:
            return None
        return posixpath.relpath(found, doc.base or ".")

    def check_fixity(self) -> None:
        by_member: dict[str, list[_Ref]] = {}
        for ref in self.refs:
            by_member.setdefault(ref.member, []).append(ref)
        unsupported: set[str] = set()
        if not self.checksums:
            self.skipped.append("checksums not verified (--no-checksums); sizes were checked")

        def jobs() -> Iterator[_Job]:
            for member in sorted(by_member):
                refs = by_member.pop(member)  # nothing per file is kept once it is checked
                algos = sorted({r.checksumtype for r in refs if r.checksumtype and r.checksum})
                hashes: dict[str, _Hash] = {}
                if self.checksums:
                    for a in algos:
                        h = _new_hash(a)
                        if h is None:
                            unsupported.add(a)
                        else:
                            hashes[a] = h
                yield member, refs, hashes

        prefetch = self.prefetch
        if prefetch is not None:
            prefetch.finish()

        def prefetched(job: _Job) -> tuple[str, int] | None:
            if prefetch is None or list(job[2]) != ["SHA-256"]:
                return None
            return prefetch.get(job[0])

        def batches() -> Iterator[list[_Job]]:
            """Jobs in order, small files grouped so that a worker gets enough to do."""
            batch: list[_Job] = []
            size = 0
            for job in jobs():
                batch.append(job)
                if job[2] and prefetched(job) is None:
                    size += self.r.size(job[0])
                if len(batch) >= BATCH_FILES or size >= BATCH_BYTES:
                    yield batch
                    batch, size = [], 0
            if batch:
                yield batch

        def digest(job: _Job) -> int | Exception | None:
            """Read one member through its hashes: bytes read, a read error, or None."""
            member, _refs, hashes = job
            if not hashes:
                return None
            done = prefetched(job)
            if done is not None:
                hashes["SHA-256"] = _Digest(done[0])
                return done[1]
            try:
                return _read_through(self.r, member, hashes.values())
            except _READ_ERRORS as exc:
                return exc

        def run_batch(batch: list[_Job]) -> list[tuple[_Job, int | Exception | None]]:
            return [(job, digest(job)) for job in batch]

        # Folder members are hashed in worker threads (each opens its own file), a batch at
        # a time, and checked in sorted order; an archive shares one handle, so zip and tar
        # members are read one after the other.
        workers = None if self.r.concurrent else 1
        with closing(ordered_map(run_batch, batches(), workers=workers)) as results:
            for done in results:
                for (member, refs, hashes), read in done:
                    self._check_member(member, refs, hashes, read)
        for a in sorted(unsupported):
            self.add("DK-CHECKSUM-UNSUP", f"checksums of type {a!r} cannot be verified")

    def _check_member(self, member: str, refs: list[_Ref], hashes: dict[str, _Hash],
                      read: int | Exception | None) -> None:
        """Compare what one member's METS references claim with what was read."""
        if isinstance(read, Exception):
            self.add("DK-UNREADABLE-MEMBER", f"cannot read the member: {read}", member)
            return
        actual_size = self.r.size(member)
        if read is not None:
            actual_size = read
            self.bytes_checked += read
        self.files_checked += 1
        for ref in refs:
            if ref.size is not None and ref.size_id and int(ref.size) != actual_size:
                self.add(ref.size_id, f"SIZE of {member!r} is {ref.size} in METS but the "
                         f"file has {actual_size} bytes", ref.doc, ref.xpath + "/@SIZE")
            ctype = ref.checksumtype
            if ref.checksum and ctype in hashes and ref.checksum_id:
                got = hashes[ctype].hexdigest()
                if got.lower() != ref.checksum.lower():
                    self.add(ref.checksum_id, f"{ctype} checksum of {member!r} does not "
                             f"match: METS says {ref.checksum}, file has {got}",
                             ref.doc, ref.xpath + "/@CHECKSUM")

    def check_unreferenced(self) -> None:
        if not self.r.exists("METS.xml") or "METS.xml" not in self.mets_ok:
            return
        for member in self.r.entries():
            if member in self.referenced or member in self.mets_members:
                continue
            self.add("DK-UNREFERENCED", "file is in the package but no METS file references "
                     "it (not in any fileSec, dmdSec or amdSec)", member)

    def check_other_xml(self) -> None:
        """DTD/XXE in every XML file; PREMIS and ERMS files against their schemas.

        Each file is streamed (see :class:`_ContentScan`); the whole tree is built only for
        XML Schema validation, and dropped right after.
        """
        cit_versions = self._erms_versions()
        declared: dict[tuple[str, str], str] | None = None

        def get_declared() -> dict[tuple[str, str], str]:
            nonlocal declared
            if declared is None:
                declared = self._declared_checksums()
            return declared

        for member in self.r.entries():
            if not member.lower().endswith(".xml") or member in self.mets_members:
                continue
            scan = _ContentScan(self, member, get_declared)
            if scan.root is None:
                continue
            ns = scan.namespace
            for target, algo, fx in scan.premis_hits:
                self.add("DK-PREMIS-FIXITY", f"PREMIS {algo} of {target!r} differs from "
                         "the METS CHECKSUM", member, xpath_of(fx))
            for app, target in scan.missing:
                self.add("DK-ERMS-APPENDIX", f"appendix path {app.get('path')!r} ({target}) "
                         "is not in the package", member, xpath_of(app, "path"))
            del scan
            if self.schemas is None or ns not in (PREMIS, ERMS):
                continue
            tree = self.tree(member)
            if tree is None:
                continue
            if ns == PREMIS:
                self.xsd("XSD-PREMIS", member, tree, self.schemas.premis())
            else:
                rep = "/".join(member.split("/")[:2])
                versions = cit_versions.get(rep) or ["3.0", "2.1.2"]
                schema_v = versions[0]
                if len(versions) > 1 and not self.schemas.erms(versions[0]).validate(tree) \
                        and self.schemas.erms(versions[1]).validate(tree):
                    schema_v = versions[1]
                self.xsd("XSD-ERMS", member, tree, self.schemas.erms(schema_v))
                self.schematron("SCH-ERMS", member, tree, self.schemas.erms_rules(schema_v))
            del tree
        if self.schemas is None:
            self.skipped.append(NO_SCHEMAS)

    def _declared_checksums(self) -> dict[tuple[str, str], str]:
        declared: dict[tuple[str, str], str] = {}
        for ref in self.refs:
            if ref.checksum and ref.checksumtype:
                declared[(ref.member, ref.checksumtype)] = ref.checksum
        self.refs = []  # nothing else needs them now (this is the last check)
        return declared

    def _erms_versions(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for member, (cit, other) in self.rep_cit.items():
            rep = posixpath.dirname(member)
            if cit == "citserms_v2_1":
                out[rep] = ["2.1.2"]
            elif cit == "citserms_v3_0" or "v3" in other:
                out[rep] = ["3.0"]
        return out

    # -- fileSec

    def check_file_sec(self, doc: _Doc) -> dict[str, etree._Element]:
        """Check fileSec; return fileGrp ID -> fileGrp."""
        f = doc.member
        groups: dict[str, etree._Element] = {}
        secs = _children(doc.root, "fileSec")
        if not secs:
            self.add("CSIP58", "mets/fileSec is missing", f, "/mets/fileSec")
            return groups
        if len(secs) > 1:
            self.add("CSIP58", "more than one fileSec", f, "/mets/fileSec")
        sec = secs[0]
        if not sec.get("ID"):
            self.add("CSIP59", "fileSec/@ID is missing", f, xpath_of(sec, "ID"))
        all_groups = [g for g in sec.iter(_m("fileGrp"))]
        uses = [g.get("USE") or "" for g in all_groups]
        scope = doc.base + "/" if doc.base else ""
        entries = self.r.entries()
        for folder, use, code in (("documentation/", "Documentation", "CSIP60"),
                                  ("schemas/", "Schemas", "CSIP113")):
            if use in uses:
                continue
            has_files = any(e.startswith(scope + folder) for e in entries)
            if has_files:
                self.add(code, f"the package has files in {scope + folder} but no fileGrp "
                         f"USE='{use}'", f, "/mets/fileSec/fileGrp")
            elif doc.kind == "root":
                self.add(code, f"no fileGrp USE='{use}' (the package has no {folder} files)",
                         f, "/mets/fileSec/fileGrp", Severity.WARNING)
        if doc.kind == "root" and not any(u.startswith("Representations") for u in uses):
            if any(e.startswith("representations/") for e in entries):
                self.add("CSIP114", "the package has representations but no fileGrp "
                         "USE='Representations/...'", f, "/mets/fileSec/fileGrp")
        for g in all_groups:
            gid, use = g.get("ID"), g.get("USE")
            if use is None:
                self.add("CSIP64", "fileGrp/@USE is missing", f, xpath_of(g, "USE"))
            elif doc.kind == "root" and not self._use_names_folder(use):
                self.add("CSIP64", f"fileGrp/@USE {use!r} is not the path of a folder of the "
                         "package (Documentation, Schemas, Representations/<folder>, …)", f,
                         xpath_of(g, "USE"), Severity.WARNING)
            if not gid:
                self.add("CSIP65", "fileGrp/@ID is missing", f, xpath_of(g, "ID"))
            else:
                groups[gid] = g
            if not any(True for _ in g.iter(_m("file"))):
                self.add("CSIP66", "fileGrp has no file", f, xpath_of(g) + "/file")
            if use and use.startswith("Representations"):
                cit = g.get(f"{{{CSIP}}}CONTENTINFORMATIONTYPE")
                if cit is None:
                    self.add("CSIP62", "representation fileGrp should carry "
                             "csip:CONTENTINFORMATIONTYPE", f,
                             xpath_of(g, f"{{{CSIP}}}CONTENTINFORMATIONTYPE"))
                elif not self.vocab_ok("ContentInformationTypeSpecification", cit):
                    self.add("CSIP62", f"csip:CONTENTINFORMATIONTYPE {cit!r} is not in the "
                             "vocabulary", f, xpath_of(g, f"{{{CSIP}}}CONTENTINFORMATIONTYPE"))
                elif cit == "OTHER" and not g.get(f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE"):
                    self.add("CSIP63", "CONTENTINFORMATIONTYPE is OTHER but "
                             "csip:OTHERCONTENTINFORMATIONTYPE is missing", f,
                             xpath_of(g, f"{{{CSIP}}}OTHERCONTENTINFORMATIONTYPE"),
                             Severity.ERROR)
            items = doc.files.pop(g, None)
            if items is None:
                items = _children(g, "file")
            for item in items:  # checked while streaming, unless an element
                if isinstance(item, _Ref):
                    self.refs.append(item)
                elif isinstance(item, str):
                    self.referenced.add(item)
                else:
                    self.check_file(doc, item)
        return groups

    def _use_names_folder(self, use: str) -> bool:
        if use in ("Documentation", "Schemas", "Representations") or _representation_of(use):
            return True
        folder = use.lower().strip("/") + "/"
        return any(e.lower().startswith(folder) for e in self.r.entries())

    def check_file(self, doc: _Doc, el: etree._Element) -> None:
        f = doc.member
        if not el.get("ID"):
            self.add("CSIP67", "file/@ID is missing", f, xpath_of(el, "ID"))
        mime = el.get("MIMETYPE")
        if mime is None:
            self.add("CSIP68", "file/@MIMETYPE is missing", f, xpath_of(el, "MIMETYPE"))
        elif not mime_ok(mime):
            self.add("CSIP68", f"MIMETYPE {mime!r} is not an IANA media type", f,
                     xpath_of(el, "MIMETYPE"))
        size = el.get("SIZE")
        if size is None:
            self.add("CSIP69", "file/@SIZE is missing", f, xpath_of(el, "SIZE"))
        created = el.get("CREATED")
        if created is None:
            self.add("CSIP70", "file/@CREATED is missing", f, xpath_of(el, "CREATED"))
        elif not _DATETIME.match(created):
            self.add("CSIP70", f"CREATED {created!r} is not an xs:dateTime", f,
                     xpath_of(el, "CREATED"))
        checksum = el.get("CHECKSUM")
        if checksum is None:
            self.add("CSIP71", "file/@CHECKSUM is missing", f, xpath_of(el, "CHECKSUM"))
        ctype = el.get("CHECKSUMTYPE")
        if ctype is None:
            self.add("CSIP72", "file/@CHECKSUMTYPE is missing", f, xpath_of(el, "CHECKSUMTYPE"))
        flocats = _children(el, "FLocat")
        if len(flocats) != 1:
            self.add("CSIP76", f"file must have exactly one FLocat, found {len(flocats)}", f,
                     xpath_of(el) + "/FLocat")
        for loc in flocats:
            loctype = loc.get("LOCTYPE")
            if loctype != "URL":
                self.add("CSIP77", f"FLocat/@LOCTYPE must be URL, found {loctype!r}", f,
                         xpath_of(loc, "LOCTYPE"))
            xtype = loc.get(f"{{{XL}}}type")
            if xtype != "simple":
                self.add("CSIP78", f"FLocat/@xlink:type must be simple, found {xtype!r}", f,
                         xpath_of(loc, f"{{{XL}}}type"))
            member = self.resolve(doc, loc, "CSIP79", fixity=False)
            if member is not None and self.r.exists(member):
                fix_el = el
                self.refs.append(_Ref(self.r.canonical(member), f, xpath_of(fix_el),
                                      size if size and size.isdigit() else None, checksum,
                                      sys.intern(ctype) if ctype else ctype, "CSIP69",
                                      "CSIP71"))
                if size is not None and not size.isdigit():
                    self.add("CSIP69", f"SIZE {size!r} is not a byte count", f,
                             xpath_of(el, "SIZE"))
                if ctype is not None and ctype not in _METS_CHECKSUMTYPES:
                    self.add("CSIP72", f"CHECKSUMTYPE {ctype!r} is not a METS checksum type",
                             f, xpath_of(el, "CHECKSUMTYPE"))
        for attr in el.attrib:
            if not attr.startswith(_SIP_PREFIX):
                continue
            qn = etree.QName(attr)
            if qn.namespace != SIP or qn.localname in _SIP_FILE_ATTRIBUTES:
                continue
            code = {"FILEFORMATREGISTRY": "SIP34", "FILEFORMATKEY": "SIP35"}.get(qn.localname)
            if code:
                # the SIP 2.1.0 profile's XPath and its extension schema disagree on the name
                self.add(code, f"sip:{qn.localname} is the name in the SIP profile's XPath, but "
                         "the SIP extension schema declares "
                         f"sip:{'FORMATREGISTRY' if code == 'SIP34' else 'FORMATREGISTRYKEY'}; "
                         "a schema-validating archive may refuse it", f, xpath_of(el, attr),
                         Severity.INFO)
            else:
                self.add("DK-SIP-ATTRIBUTE", f"sip:{qn.localname} is not declared by the SIP "
                         "extension schema (use sip:FILEFORMATNAME, sip:FILEFORMATVERSION, "
                         "sip:FORMATREGISTRY, sip:FORMATREGISTRYKEY)", f, xpath_of(el, attr))
        for name, code in _SIP_FILE_CODES:
            v = el.get(name)
            if v is not None and not v.strip():
                self.add(code, f"sip:{etree.QName(name).localname} is empty", f,
                         xpath_of(el, name), Severity.WARNING)
        for nested in _children(el, "file"):
            self.check_file(doc, nested)

    # -- structMap

    def check_struct_map(self, doc: _Doc, groups: dict[str, etree._Element]) -> None:
        f = doc.member
        maps = _children(doc.root, "structMap")
        if not maps:
            self.add("CSIP80", "mets/structMap is missing", f, "/mets/structMap")
            return
        csip_maps = [s for s in maps if s.get("LABEL") == "CSIP"]
        if len(csip_maps) != 1:
            self.add("CSIP82", f"exactly one structMap must have LABEL='CSIP', found "
                     f"{len(csip_maps)}", f, "/mets/structMap/@LABEL")
            if not csip_maps:
                return
        sm = csip_maps[0]
        if sm.get("TYPE") != "PHYSICAL":
            self.add("CSIP81", f"the CSIP structMap must have TYPE='PHYSICAL', found "
                     f"{sm.get('TYPE')!r}", f, xpath_of(sm, "TYPE"))
        if not sm.get("ID"):
            self.add("CSIP83", "the CSIP structMap has no @ID", f, xpath_of(sm, "ID"))
        tops = _children(sm, "div")
        if len(tops) != 1:
            self.add("CSIP84", f"the CSIP structMap must have exactly one top div, found "
                     f"{len(tops)}", f, xpath_of(sm) + "/div")
            if not tops:
                return
        top = tops[0]
        if not top.get("ID"):
            self.add("CSIP85", "the top div has no @ID", f, xpath_of(top, "ID"))
        divs = _children(top, "div")
        by_label: dict[str, list[etree._Element]] = {}
        for d in divs:
            by_label.setdefault(d.get("LABEL") or "", []).append(d)
        self.check_metadata_div(doc, top, by_label.get("Metadata", []))
        # a file group may be pointed at from a nested div, e.g. a representation's schemas
        pointed = {fp.get("FILEID") for fp in sm.iter(_m("fptr"))}
        for label, ids in (("Documentation", ("CSIP93", "CSIP94", "CSIP96", "CSIP116")),
                           ("Schemas", ("CSIP97", "CSIP98", "CSIP100", "CSIP118"))):
            self.check_fptr_div(doc, top, label, by_label.get(label, []), groups, ids, pointed)
        reps_div = by_label.get("Representations", [])
        if len(reps_div) > 1:
            self.add("CSIP101", f"{len(reps_div)} divs LABEL='Representations'; the content is "
                     "described in a single div", f, xpath_of(reps_div[1]))
        for d in reps_div:
            if not d.get("ID"):
                self.add("CSIP102", "the Representations div has no @ID", f, xpath_of(d, "ID"))
            fptrs = _children(d, "fptr")
            if not fptrs:
                self.add("CSIP104", "the Representations div has no fptr", f,
                         xpath_of(d) + "/fptr")
            for fp in fptrs:
                target = groups.get(fp.get("FILEID") or "")
                if target is None or not (target.get("USE") or "").startswith("Representations"):
                    self.add("CSIP119", f"fptr/@FILEID {fp.get('FILEID')!r} is not the ID of a "
                             "Representations fileGrp", f, xpath_of(fp, "FILEID"))
        if doc.kind == "root":
            self.check_representation_divs(doc, top, divs, groups)

    def check_metadata_div(self, doc: _Doc, top: etree._Element,
                           divs: list[etree._Element]) -> None:
        f = doc.member
        if not divs:
            has_md = bool(_children(doc.root, "amdSec") or _children(doc.root, "dmdSec"))
            self.add("CSIP88", "the CSIP structMap has no div LABEL='Metadata'"
                     + ("" if has_md else " (the METS has no dmdSec or amdSec)"), f,
                     xpath_of(top) + "/div[@LABEL='Metadata']",
                     None if has_md else Severity.WARNING)
            return
        if len(divs) > 1:
            self.add("CSIP88", f"{len(divs)} divs LABEL='Metadata'; the metadata is described "
                     "in exactly one", f, xpath_of(divs[1]))
        d = divs[0]
        if not d.get("ID"):
            self.add("CSIP89", "the Metadata div has no @ID", f, xpath_of(d, "ID"))
        amd_ids = {c.get("ID") for a in _children(doc.root, "amdSec") for c in a
                   if isinstance(c.tag, str) and c.get("ID")
                   and c.get("STATUS", "CURRENT") == "CURRENT"}
        dmd_ids = {s.get("ID") for s in _children(doc.root, "dmdSec")
                   if s.get("ID") and s.get("STATUS", "CURRENT") == "CURRENT"}
        for attr, code, wanted, what in (("ADMID", "CSIP91", amd_ids, "amdSec"),
                                         ("DMDID", "CSIP92", dmd_ids, "dmdSec")):
            listed = set((d.get(attr) or "").split())
            missing = sorted(x for x in wanted if x and x not in listed)
            if missing:
                self.add(code, f"the Metadata div's @{attr} should list the current {what} "
                         f"IDs; missing: {', '.join(missing)}", f, xpath_of(d, attr))

    def check_fptr_div(self, doc: _Doc, top: etree._Element, label: str,
                       divs: list[etree._Element], groups: dict[str, etree._Element],
                       ids: tuple[str, str, str, str], pointed: set[str | None]) -> None:
        f = doc.member
        div_id, id_id, fptr_id, fileid_id = ids
        wanted = [gid for gid, g in groups.items() if g.get("USE") == label]
        if not divs:
            if wanted:
                self.add(div_id, f"fileGrp USE='{label}' exists but the CSIP structMap has no "
                         f"div LABEL='{label}'", f, xpath_of(top) + f"/div[@LABEL='{label}']")
            return
        if len(divs) > 1:
            self.add(div_id, f"{len(divs)} divs LABEL='{label}'; they are described in a "
                     "single div", f, xpath_of(divs[1]))
        for d in divs:
            if not d.get("ID"):
                self.add(id_id, f"the {label} div has no @ID", f, xpath_of(d, "ID"))
            for fp in _children(d, "fptr"):
                fid = fp.get("FILEID")
                g = groups.get(fid or "")
                if fid is None or g is None or g.get("USE") != label:
                    self.add(fileid_id, f"fptr/@FILEID {fid!r} is not the ID of a fileGrp "
                             f"USE='{label}'", f, xpath_of(fp, "FILEID"))
        for gid in wanted:
            if gid not in pointed:
                self.add(fptr_id, f"the {label} div has no fptr to fileGrp {gid!r}", f,
                         xpath_of(divs[0]) + "/fptr")

    def check_representation_divs(self, doc: _Doc, top: etree._Element,
                                  divs: list[etree._Element],
                                  groups: dict[str, etree._Element]) -> None:
        """CSIP105–112: one div per representation, LABEL 'Representations/<folder>', with an
        mptr to the representation METS when there is one. A fileGrp USE may go deeper
        ('Representations/rep1/data', CSIP64); it belongs to the representation all the same."""
        f = doc.member
        rep_groups: dict[str, list[str]] = {}
        for gid, g in groups.items():
            key = _representation_of(g.get("USE") or "")
            if key:
                rep_groups.setdefault(key, []).append(gid)
        entries = self.r.entries()
        seen: set[str] = set()
        for d in divs:
            label = d.get("LABEL") or ""
            mptrs = _children(d, "mptr")
            if not label.startswith("Representations/") and not mptrs:
                continue
            if label in seen:
                self.add("CSIP105", f"more than one div LABEL {label!r}; each representation "
                         "has one", f, xpath_of(d, "LABEL"))
            seen.add(label)
            folder = "r" + label[1:] + "/"
            has_mets = folder + "METS.xml" in entries
            if not d.get("ID"):
                self.add("CSIP106", "the representation div has no @ID", f, xpath_of(d, "ID"))
            if label not in rep_groups and not any(e.startswith(folder) for e in entries):
                self.add("CSIP107", f"div LABEL {label!r} matches no fileGrp "
                         "USE='Representations/...' and no representation folder", f,
                         xpath_of(d, "LABEL"))
            if len(mptrs) > 1 or (has_mets and not mptrs):
                self.add("CSIP109", f"a representation div must have exactly one mptr, found "
                         f"{len(mptrs)}", f, xpath_of(d) + "/mptr")
            for mp in mptrs:
                title = mp.get(f"{{{XL}}}title")
                if title is None or (label in rep_groups and title not in rep_groups[label]):
                    self.add("CSIP108", f"mptr/@xlink:title {title!r} must be the ID of the "
                             f"fileGrp of {label!r}", f, xpath_of(mp, f"{{{XL}}}title"))
                if mp.get(f"{{{XL}}}type") != "simple":
                    self.add("CSIP111", "mptr/@xlink:type must be simple", f,
                             xpath_of(mp, f"{{{XL}}}type"))
                if mp.get("LOCTYPE") != "URL":
                    self.add("CSIP112", "mptr/@LOCTYPE must be URL", f, xpath_of(mp, "LOCTYPE"))
                self.resolve(doc, mp, "CSIP110", fixity=False)
        whole = any(d.get("LABEL") == "Representations" for d in divs)
        for rep in sorted(r for r in rep_groups if r not in seen):
            if "r" + rep[1:] + "/METS.xml" in entries:
                self.add("CSIP105", f"no structMap div for representation {rep!r}, which has "
                         "its own METS.xml", f, xpath_of(top) + "/div")
            elif not whole:
                self.add("CSIP101", f"the content of {rep!r} is described in no structMap div "
                         f"(neither LABEL={rep!r} nor 'Representations')", f,
                         xpath_of(top) + "/div")
        plain = [gid for gid, g in groups.items() if g.get("USE") == "Representations"]
        if plain and not whole:
            self.add("CSIP101", "fileGrp USE='Representations' is described in no structMap "
                     "div LABEL='Representations'", f, xpath_of(top) + "/div")


def _representation_of(use: str) -> str | None:
    """'Representations/rep1/data' → 'Representations/rep1'; None for other uses."""
    parts = use.split("/")
    if len(parts) >= 2 and parts[0] == "Representations" and parts[1]:
        return "/".join(parts[:2])
    return None


def validate_package(path: Path, *, schemas: SchemaSet | None,
                     checksums: bool = True) -> ValidationReport:
    """Validate a package folder, zip or tar in place and report every finding.

    Raises :class:`~diariekit.errors.UnreadableInputError` (exit 4) when ``path`` is not a
    folder, zip or tar.
    """
    reader = open_package(Path(path))
    with reader:
        v = _Validator(reader, schemas, checksums)
        v.run()
        return ValidationReport(
            package=str(path), container=reader.kind, root_name=reader.root_name,
            findings=sorted_findings(v.findings), files_checked=v.files_checked,
            bytes_checked=v.bytes_checked, skipped=v.skipped,
            schemas=str(schemas.folder) if schemas is not None else None, levels=v.levels)


def iter_requirement_ids(report: ValidationReport) -> Iterable[str]:
    """The requirement IDs of a report's findings, sorted (for summaries)."""
    return sorted(report.codes())
