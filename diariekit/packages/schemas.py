"""The official XML schemas (XML-scheman): where they are installed and how to load them.

diariekit ships no copy of the external schemas. They are looked up in a folder laid out
like ``shared/external/schemas`` (with its ``catalog.xml``): an explicit folder, else
``$DIARIEKIT_SCHEMAS``, else the user data folder filled by ``diariekit schemas install``.
Every official http(s) schema URL is answered from that folder by an lxml resolver built
from ``catalog.xml``, so nothing is ever fetched from the network.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

from lxml import etree, isoschematron

from diariekit.errors import ConfigError, Location, UnreadableInputError

CATALOG = "catalog.xml"
ENV_VAR = "DIARIEKIT_SCHEMAS"
_CATALOG_NS = "urn:oasis:names:tc:entity:xmlns:xml:catalog"

METS_BUNDLE = "local/eark-mets-bundle.xsd"
METS_BUNDLE_22 = "local/eark-mets-bundle-2.2.xsd"
PREMIS_XSD = "premis/premis.xsd"
ERMS_XSD = {"3.0": "erms/3.0/ERMS_v3.xsd", "2.1.2": "erms/2.1.2/ERMS.xsd"}
#: The ERMS Schematron rules (co-occurrence constraints the XSD cannot say).
ERMS_SCH = {"3.0": "erms/3.0/erms_v3.sch", "2.1.2": "erms/2.1.2/erms.sch"}
CSIP_PROFILE = "csip/2.1.0/E-ARK-CSIP.xml"
SIP_PROFILE = "sip/2.1.0/E-ARK-SIP.xml"
CSIP_VOCABULARIES = "csip/2.1.0/vocabularies"
SIP_VOCABULARIES = "sip/2.1.0/vocabularies"


def safe_parser(*, huge_tree: bool = False) -> etree.XMLParser:
    """A parser for untrusted XML: no entity expansion, no DTD loading, no network."""
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                           dtd_validation=False, huge_tree=huge_tree, remove_comments=False)


def user_schema_dir() -> Path:
    """The user data folder for installed schemas (``$XDG_DATA_HOME/diariekit/schemas``)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "diariekit" / "schemas"


def schema_dir(explicit: Path | None = None) -> Path | None:
    """The schema folder to use, or None when no schemas are installed.

    Order: ``explicit``, then ``$DIARIEKIT_SCHEMAS``, then the user data folder. An explicit
    folder or environment variable that has no ``catalog.xml`` is a configuration error
    (exit 3): the user asked for it, so silently skipping validation would mislead.
    """
    if explicit is not None:
        return _checked(Path(explicit), "--schemas")
    env = os.environ.get(ENV_VAR)
    if env:
        return _checked(Path(env), f"${ENV_VAR}")
    default = user_schema_dir()
    return default if (default / CATALOG).is_file() else None


def _checked(folder: Path, origin: str) -> Path:
    if not (folder / CATALOG).is_file():
        raise ConfigError(f"{origin}: {folder} is not a schema folder (no {CATALOG}); "
                          "point it at a copy of shared/external/schemas",
                          Location(str(folder)))
    return folder.resolve()


def install_schemas(source: Path, target: Path | None = None) -> Path:
    """Copy a schema folder (with ``catalog.xml``) to ``target`` atomically; return target.

    The tree is copied to a temporary sibling and renamed into place, so a reader never
    sees a half-copied folder; an existing installation is replaced.
    """
    source = Path(source)
    if not source.is_dir():
        raise UnreadableInputError(f"not a folder: {source}", Location(str(source)))
    if not (source / CATALOG).is_file():
        raise ConfigError(f"{source} has no {CATALOG}: not a schema folder",
                          Location(str(source)))
    target = Path(target) if target is not None else user_schema_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        staged = tmp / "schemas"
        shutil.copytree(source, staged, symlinks=False)
        if target.exists():
            os.replace(target, tmp / "old")
        os.replace(staged, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class CatalogResolver(etree.Resolver):  # type: ignore[misc]
    """Answers official schema URLs from local files, using the OASIS ``catalog.xml``."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder
        self.exact: dict[str, Path] = {}
        self.prefixes: list[tuple[str, str]] = []
        self._load(folder / CATALOG)

    def _load(self, catalog: Path) -> None:
        tree = etree.parse(str(catalog), safe_parser())
        base_dir = catalog.parent.resolve().as_uri() + "/"
        for el in tree.iter():
            if not isinstance(el.tag, str):
                continue
            local = etree.QName(el).localname
            base = urljoin(base_dir, el.get("{http://www.w3.org/XML/1998/namespace}base", ""))
            if local in ("system", "uri", "public"):
                key = el.get("systemId") or el.get("name") or el.get("publicId")
                uri = el.get("uri")
                if key and uri:
                    self.exact[key] = _to_path(urljoin(base, uri))
            elif local in ("rewriteURI", "rewriteSystem"):
                start = el.get("uriStartString") or el.get("systemIdStartString")
                prefix = el.get("rewritePrefix")
                if start and prefix:
                    self.prefixes.append((start, urljoin(base, prefix)))
        self.prefixes.sort(key=lambda p: len(p[0]), reverse=True)

    def lookup(self, url: str) -> Path | None:
        """The local file for an official URL, or None."""
        if url in self.exact:
            return self.exact[url]
        for start, prefix in self.prefixes:
            if url.startswith(start):
                return _to_path(prefix + url[len(start):])
        return None

    def resolve(self, system_url: str | None, public_id: str | None,
                context: object) -> object:
        for key in (system_url, public_id):
            if key:
                path = self.lookup(key)
                if path is not None and path.is_file():
                    return self.resolve_filename(str(path), context)
        return None


def _to_path(uri: str) -> Path:
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlparse

        return Path(unquote(urlparse(uri).path))
    return Path(uri)


_SCH = "http://purl.oclc.org/dsdl/schematron"
_SVRL = "http://purl.oclc.org/dsdl/svrl"
_WARNING_ROLES = frozenset({"warning", "warn", "info", "information"})


#: Known slips in the official Schematron rules, corrected before compiling: ERMS 3.0 tests
#: ``@otherclassificationSchemaStatus``, but the ERMS XSD names the attribute
#: ``otherClassificationSchemaStatus`` (so a correct file would fail the rule).
_ERRATA = {"@otherclassificationSchemaStatus": "@otherClassificationSchemaStatus"}

#: Functions of XPath 1.0 and those XSLT 1.0 adds, and the node-type tests.
_XPATH1_FUNCTIONS = frozenset("""
    last position count id local-name namespace-uri name string concat starts-with contains
    substring-before substring-after substring string-length normalize-space translate boolean
    not true false lang number sum floor ceiling round current document key format-number
    generate-id system-property element-available function-available unparsed-entity-uri
    node text comment processing-instruction and or div mod""".split())  # operators before (
_STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")
_FUNCTION_CALL = re.compile(r"(?<![\w.@$-])([A-Za-z_][\w.-]*(?::[A-Za-z_][\w.-]*)?)\s*\(")


def _functions(expr: str) -> set[str]:
    """The names of the functions an XPath expression calls (string literals left out)."""
    return set(_FUNCTION_CALL.findall(_STRING_LITERAL.sub("''", expr)))


@dataclass(frozen=True)
class RuleFailure:
    """One failed Schematron assertion: its text, whether it is only a "should" (a
    warning), and the element it failed on (None when the location did not resolve)."""

    message: str
    warning: bool
    element: etree._Element | None


class SchematronRules:
    """A Schematron schema (ISO Schematron), run with lxml's XSLT 1 implementation.

    The ERMS rules declare ``queryBinding="xslt2"``, which lxml does not implement, but
    every context and test in them is XPath 1.0. So the rules are accepted only when each
    expression compiles and evaluates as XPath 1.0 (with the schema's ``ns`` prefixes);
    otherwise :attr:`usable` is False and :attr:`reason` says why, and the caller skips
    them rather than report wrong results. Each expression is tried on an empty element
    (which catches syntax errors) and every function it calls must be one of XPath 1.0 or
    XSLT 1.0 (an XPath 2.0 function behind ``or`` would pass the try and fail on a real
    file); a rule set that still fails while it runs is dropped with a reason too.

    Severity: an explicit ``role`` decides (warning/warn/info → warning, anything else an
    error); without one, an assertion whose text says "should" and not "must" is a
    warning, otherwise an error. :data:`_ERRATA` corrects known slips in the official
    rules before they are compiled.
    """

    def __init__(self, path: Path, parser: etree.XMLParser) -> None:
        self.path = path
        self.reason: str | None = None
        self._schematron: isoschematron.Schematron | None = None
        try:
            root = etree.parse(str(path), parser).getroot()
        except (OSError, etree.XMLSyntaxError) as exc:
            raise ConfigError(f"Schematron file does not parse: {exc}",
                              Location(str(path))) from None
        namespaces = {n.get("prefix"): n.get("uri") for n in root.iter(f"{{{_SCH}}}ns")
                      if n.get("prefix") and n.get("uri")}
        self._asserts = {" ".join("".join(a.itertext()).split()): a.get("role", "")
                         for a in root.iter(f"{{{_SCH}}}assert")}
        for el in root.iter(f"{{{_SCH}}}assert", f"{{{_SCH}}}report", f"{{{_SCH}}}rule"):
            for attr in ("test", "context"):
                value = el.get(attr)
                if value:
                    for wrong, right in _ERRATA.items():
                        value = value.replace(wrong, right)
                    el.set(attr, value)
        probe = etree.fromstring("<probe/>")
        expressions = [el.get("context") for el in root.iter(f"{{{_SCH}}}rule")]
        expressions += [el.get("test") for el in root.iter(f"{{{_SCH}}}assert",
                                                           f"{{{_SCH}}}report")]
        for expr in expressions:
            unknown = sorted(_functions(expr or "") - _XPATH1_FUNCTIONS)
            try:
                if unknown:
                    raise etree.XPathError(f"function {', '.join(unknown)}")
                etree.XPath(expr or "", namespaces=namespaces)(probe)
            except (etree.XPathError, TypeError) as exc:
                self.reason = (f"{path.name}: {expr!r} is not XPath 1.0 ({exc}); "
                               "Schematron rules not checked")
                return
        binding = root.get("queryBinding", "xslt")
        if binding.lower() not in ("xslt", "xslt1", "xpath", "xslt2", "xslt3"):
            self.reason = f"{path.name}: query binding {binding!r} not supported"
            return
        root.set("queryBinding", "xslt")
        try:
            self._schematron = isoschematron.Schematron(root, store_report=True)
        except (etree.SchematronParseError, etree.XSLTError) as exc:
            self.reason = f"{path.name}: does not compile ({exc}); rules not checked"

    @property
    def usable(self) -> bool:
        return self._schematron is not None

    def check(self, tree: etree._ElementTree) -> list[RuleFailure]:
        """Every failed assertion and successful report in ``tree``."""
        if self._schematron is None:
            return []
        try:
            self._schematron.validate(tree)
        except (etree.XSLTApplyError, etree.XSLTError) as exc:
            self._schematron = None
            self.reason = f"{self.path.name}: failed while it ran ({exc}); rules not checked"
            return []
        report = self._schematron.validation_report
        out: list[RuleFailure] = []
        if report is None:
            return out
        for failed in report.getroot().iter(f"{{{_SVRL}}}failed-assert",
                                            f"{{{_SVRL}}}successful-report"):
            text = " ".join("".join(failed.itertext()).split())
            role = (failed.get("role") or self._asserts.get(text, "")).lower()
            words = set(text.lower().replace(",", " ").replace(".", " ").split())
            warning = (role in _WARNING_ROLES if role
                       else "should" in words and "must" not in words)
            element = None
            location = failed.get("location")
            if location:
                try:
                    found = tree.xpath(location)
                except etree.XPathError:
                    found = []
                if isinstance(found, list) and found and isinstance(found[0], etree._Element):
                    element = found[0]
            out.append(RuleFailure(text, warning, element))
        return out


class SchemaSet:
    """The compiled schemas of one schema folder (METS bundle, PREMIS, ERMS), each cached."""

    def __init__(self, folder: Path) -> None:
        folder = Path(folder)
        if not (folder / CATALOG).is_file():
            raise ConfigError(f"{folder} has no {CATALOG}: not a schema folder",
                              Location(str(folder)))
        self.folder = folder.resolve()
        self.resolver = CatalogResolver(self.folder)
        self._cache: dict[str, etree.XMLSchema] = {}
        self._rules: dict[str, SchematronRules | None] = {}

    @classmethod
    def find(cls, explicit: Path | None = None) -> SchemaSet | None:
        """The schema set from :func:`schema_dir`, or None when none is installed."""
        folder = schema_dir(explicit)
        return cls(folder) if folder is not None else None

    def path(self, relative: str) -> Path:
        return self.folder / relative

    def _schema_parser(self) -> etree.XMLParser:
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
        parser.resolvers.add(self.resolver)
        return parser

    def _compile(self, relative: str) -> etree.XMLSchema:
        if relative not in self._cache:
            path = self.path(relative)
            if not path.is_file():
                raise ConfigError(f"schema missing from the installed set: {relative}",
                                  Location(str(path)))
            try:
                doc = etree.parse(str(path), self._schema_parser())
                self._cache[relative] = etree.XMLSchema(doc)
            except (etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
                raise ConfigError(f"schema does not compile: {exc}",
                                  Location(str(path))) from None
        return self._cache[relative]

    def mets(self, version: str = "2.1.0") -> etree.XMLSchema:
        """METS 1.12 + xlink + csip:/sip: extension attributes (the driver bundle).

        ``version`` picks the CSIP/SIP extension schemas: "2.1.0" (FGS Paketstruktur 2.0,
        the default) or "2.2.0".
        """
        return self._compile(METS_BUNDLE_22 if version == "2.2.0" else METS_BUNDLE)

    def premis(self) -> etree.XMLSchema:
        """PREMIS 3.0."""
        return self._compile(PREMIS_XSD)

    def erms(self, version: str = "3.0") -> etree.XMLSchema:
        """CITS ERMS (FGS Ärendehantering), version "3.0" or "2.1.2"."""
        if version not in ERMS_XSD:
            raise ConfigError(f"unknown ERMS version {version!r}; use 3.0 or 2.1.2")
        return self._compile(ERMS_XSD[version])

    def erms_rules(self, version: str = "3.0") -> SchematronRules | None:
        """The ERMS Schematron rules of ``version``, or None when the set lacks them."""
        relative = ERMS_SCH.get(version)
        if relative is None:
            return None
        if relative not in self._rules:
            path = self.path(relative)
            self._rules[relative] = (SchematronRules(path, self._schema_parser())
                                     if path.is_file() else None)
        return self._rules[relative]

    def safe_parser(self) -> etree.XMLParser:
        """The parser for every package file (see :func:`safe_parser`)."""
        return safe_parser()
