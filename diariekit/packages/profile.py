"""Package profiles (paketprofiler): which CSIP/SIP and ERMS versions a transfer package
(överföringspaket) follows, and the agents and submission-agreement defaults it carries.

Profiles are YAML data in ``diariekit.fgs_templates`` (``profile-fgs-2.0.yaml``, the default:
FGS Paketstruktur 2.0 = E-ARK CSIP/SIP 2.1.0 with CITS ERMS 3.0;
``profile-fgs-2.0-erms-2.1.yaml``: the same with CITS ERMS 2.1 (schema 2.1.2,
``citserms_v2_1``); ``profile-csip-2.2.yaml``),
read with :mod:`importlib.resources`, or any YAML file given by path. Text values in
``agents`` and ``submission`` are templates filled per case from the organisation
(arkivbildare) and case: ``{org_name}``, ``{org_code}``, ``{org_number}``,
``{archive_creator_id}``, ``{municipality}``, ``{series}``, ``{dnr}``.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from diariekit.errors import ConfigError, Location

__all__ = [
    "DEFAULT_PROFILE",
    "AgentTemplate",
    "Profile",
    "available_profiles",
    "load_profile",
]

DEFAULT_PROFILE = "fgs-2.0"
_PACKAGE = "diariekit.fgs_templates"


@dataclass(frozen=True)
class AgentTemplate:
    """A METS header agent (agent i metsHdr) as templates: name, identification code, notes."""

    name: str
    identification_code: str | None = None
    notes: tuple[str, ...] = ()

    def fill(self, values: Mapping[str, str]) -> AgentTemplate:
        """The agent with ``{placeholders}`` replaced; empty codes become None."""
        code = _fill(self.identification_code, values) if self.identification_code else None
        return AgentTemplate(_fill(self.name, values), code or None,
                             tuple(_fill(n, values) for n in self.notes))


@dataclass(frozen=True)
class Profile:
    """A package profile (paketprofil): the standards a SIP follows and its defaults."""

    id: str
    title: str
    csip_version: str
    sip_version: str
    mets_profile: str
    mets_bundle: str
    content_category: str
    content_information_type: str
    other_content_information_type: str | None
    package_type: str
    record_status: str
    erms_version: str
    erms_schema: str
    erms_maintenance_status: str
    objid_namespace: uuid.UUID
    software_name: str
    archivist: AgentTemplate | None
    submitter: AgentTemplate
    contact: AgentTemplate | None
    preservation: AgentTemplate | None
    submission_agreement: str | None
    reference_code: str | None
    schemas: tuple[str, ...] = ()
    objid_template: str | None = None
    source: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Profile:
        """A copy with some fields replaced (e.g. ``preservation=AgentTemplate(...)``)."""
        return replace(self, **changes)


def available_profiles() -> list[str]:
    """Ids of the profiles shipped in ``diariekit.fgs_templates``."""
    out = []
    for entry in resources.files(_PACKAGE).iterdir():
        name = entry.name
        if name.startswith("profile-") and name.endswith(".yaml"):
            out.append(name[len("profile-"):-len(".yaml")])
    return sorted(out)


def load_profile(name_or_path: str | Path | None = None) -> Profile:
    """Load a profile by id (``fgs-2.0``, ``csip-2.2``) or from a YAML file path.

    Raises :class:`~diariekit.errors.ConfigError` for an unknown id or a malformed file.
    """
    wanted = name_or_path or DEFAULT_PROFILE
    path = Path(wanted)
    if isinstance(wanted, Path) or path.suffix in (".yaml", ".yml") or "/" in str(wanted):
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read package profile {path}: {exc}",
                              Location(str(path))) from exc
        source = str(path)
    else:
        entry = resources.files(_PACKAGE).joinpath(f"profile-{wanted}.yaml")
        if not entry.is_file():
            known = ", ".join(available_profiles())
            raise ConfigError(f"unknown package profile '{wanted}' (shipped: {known})")
        text = entry.read_text(encoding="utf-8")
        source = f"{_PACKAGE}/profile-{wanted}.yaml"
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"package profile {source} is not valid YAML: {exc}",
                          Location(source)) from exc
    if not isinstance(data, dict):
        raise ConfigError(f"package profile {source} must be a mapping", Location(source))
    return _from_dict(data, source)


def _fill(template: str, values: Mapping[str, str]) -> str:
    try:
        return template.format_map(_Defaulting(values))
    except (ValueError, IndexError):
        return template


class _Defaulting(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return ""


def _agent(value: Any, where: str, source: str) -> AgentTemplate | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not value.get("name"):
        raise ConfigError(f"package profile {source}: {where} needs a name", Location(source))
    notes = value.get("notes") or []
    code = value.get("identification_code")
    return AgentTemplate(str(value["name"]), None if code is None else str(code),
                         tuple(str(n) for n in notes))


def _from_dict(data: dict[str, Any], source: str) -> Profile:
    def need(key: str, within: Mapping[str, Any] = data) -> str:
        value = within.get(key)
        if value is None or value == "":
            raise ConfigError(f"package profile {source}: '{key}' is missing",
                              Location(source))
        return str(value)

    erms = data.get("erms") or {}
    agents = data.get("agents") or {}
    submission = data.get("submission") or {}
    submitter = _agent(agents.get("submitter"), "agents.submitter", source)
    if submitter is None:
        raise ConfigError(f"package profile {source}: agents.submitter is required (SIP15)",
                          Location(source))
    try:
        namespace = uuid.UUID(need("objid_namespace"))
    except ValueError as exc:
        raise ConfigError(f"package profile {source}: objid_namespace is not a UUID",
                          Location(source)) from exc
    other = data.get("other_content_information_type")
    known = {"id", "title", "csip_version", "sip_version", "mets_profile", "mets_bundle",
             "content_category", "content_information_type", "other_content_information_type",
             "package_type", "record_status", "erms", "objid_namespace", "agents",
             "submission", "schemas", "objid_template"}
    software = agents.get("software") or {}
    return Profile(
        id=need("id"),
        title=str(data.get("title") or data["id"]),
        csip_version=need("csip_version"),
        sip_version=need("sip_version"),
        mets_profile=need("mets_profile"),
        mets_bundle=need("mets_bundle"),
        content_category=need("content_category"),
        content_information_type=need("content_information_type"),
        other_content_information_type=None if other in (None, "") else str(other),
        package_type=str(data.get("package_type") or "SIP"),
        record_status=str(data.get("record_status") or "NEW"),
        erms_version=need("version", erms),
        erms_schema=need("schema", erms),
        erms_maintenance_status=str(erms.get("maintenance_status") or "new"),
        objid_namespace=namespace,
        software_name=str(software.get("name") or "diariekit"),
        archivist=_agent(agents.get("archivist"), "agents.archivist", source),
        submitter=submitter,
        contact=_agent(agents.get("contact"), "agents.contact", source),
        preservation=_agent(agents.get("preservation"), "agents.preservation", source),
        submission_agreement=submission.get("agreement"),
        reference_code=submission.get("reference_code"),
        schemas=tuple(str(s) for s in data.get("schemas") or ()),
        objid_template=str(data["objid_template"]) if data.get("objid_template") else None,
        source=source,
        extra={k: v for k, v in data.items() if k not in known},
    )
