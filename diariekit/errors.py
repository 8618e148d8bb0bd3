"""Errors a user can cause, each with a location and an exit code (style.md §5).

A traceback is a bug: everything the CLI can run into on bad input is raised as a
subclass of :class:`DiariekitError`, printed as one paragraph and turned into the
documented exit code.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any


class ExitCode(IntEnum):
    """Exit codes documented in the README (style.md §5)."""

    OK = 0
    INVALID = 1
    USAGE = 2
    CONFIG = 3
    UNREADABLE = 4
    REGISTRY = 5
    POLICY = 6
    PARTIAL = 7
    INTERRUPTED = 130


@dataclass(frozen=True)
class Location:
    """Where a problem is: file, physical line (1-based) and field, as far as known."""

    file: str | None = None
    line: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.file:
            parts.append(self.file)
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.field:
            parts.append(f"field '{self.field}'")
        return ", ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field}


class DiariekitError(Exception):
    """Base of every error a user can cause; carries an exit code and a location."""

    exit_code: ExitCode = ExitCode.INVALID

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    def __str__(self) -> str:
        where = str(self.location)
        return f"{where}: {self.message}" if where else self.message

    def to_dict(self) -> dict[str, Any]:
        return {
            "error": type(self).__name__,
            "message": self.message,
            "exit_code": int(self.exit_code),
            **self.location.to_dict(),
        }


class InvalidInputError(DiariekitError):
    """The input was read but its content is wrong (exit 1)."""

    exit_code = ExitCode.INVALID


class UsageError(DiariekitError):
    """The command was called wrongly (exit 2)."""

    exit_code = ExitCode.USAGE


class ConfigError(DiariekitError):
    """No or bad diariekit.toml, unknown series or organisation (exit 3)."""

    exit_code = ExitCode.CONFIG


class UnreadableInputError(DiariekitError):
    """A file cannot be opened or decoded at all (exit 4)."""

    exit_code = ExitCode.UNREADABLE


class RegistryError(DiariekitError):
    """The registry cannot be reached, needs migration, or is locked too long (exit 5)."""

    exit_code = ExitCode.REGISTRY


class PolicyError(DiariekitError):
    """Refused by policy: hold, not yet due, secrecy (exit 6)."""

    exit_code = ExitCode.POLICY
