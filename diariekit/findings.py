"""Findings (anmärkningar) of a validation: what is wrong, how bad, and where.

Validators report *all* problems, not the first (bagit-python, eark-validator). A
finding carries a stable code, a severity, an English message and a location, and
serialises to the stable ``--json`` shape documented in the README.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from diariekit.errors import Location


class Severity(StrEnum):
    """How bad a finding is: an error makes the input invalid (exit 1)."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}


@dataclass(frozen=True)
class Finding:
    """One problem found in an input, with a stable code such as ``plan.duplicate-class``."""

    code: str
    severity: Severity
    message: str
    location: Location = field(default_factory=Location)

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": str(self.severity),
            "message": self.message,
            **self.location.to_dict(),
        }

    def __str__(self) -> str:
        where = str(self.location)
        prefix = f"{where}: " if where else ""
        return f"{prefix}{self.severity}: {self.message} [{self.code}]"


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding is an error."""
    return any(f.severity is Severity.ERROR for f in findings)


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """Findings in reading order: by file, line, then severity."""
    return sorted(
        findings,
        key=lambda f: (
            f.location.file or "",
            f.location.line if f.location.line is not None else 0,
            _ORDER[f.severity],
            f.code,
        ),
    )
