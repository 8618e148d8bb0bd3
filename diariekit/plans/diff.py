"""Differences between two plan versions: what a nämnd must decide on.

Record types are matched on their stable key (YAML ``id``; CSV row id or class and
name), so an inserted row does not shift the others. Retention changes are reported
apart from other field changes, and a change from bevaras to gallras (or back) is
marked, since that is what the decision is really about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from diariekit.plans.model import Plan, PlanClass, RecordType
from diariekit.plans.retention import Action

# Fields compared, with the text used for each (raw text wins: it is what was decided).
_COMPARED: tuple[tuple[str, str], ...] = (
    ("name", "name"),
    ("class", "class_code"),
    ("description", "description"),
    ("registration", "registration.raw"),
    ("medium", "medium"),
    ("formats", "formats.raw"),
    ("secrecy", "secrecy.raw"),
    ("legal_basis", "legal_basis"),
    ("delivery", "delivery.raw"),
    ("storage", "storage"),
    ("sort_order", "sort_order"),
    ("responsible", "responsible"),
    ("notes", "notes"),
)


def _get(rt: RecordType, dotted: str) -> str | None:
    value: Any = rt
    for part in dotted.split("."):
        value = getattr(value, part)
    return None if value in (None, "") else str(value)


@dataclass(frozen=True)
class FieldChange:
    """One field of a record type that differs between the versions."""

    field: str
    old: str | None
    new: str | None

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True)
class RetentionChange:
    """A changed retention rule; ``direction`` says whether records are now kept or not."""

    old: str
    new: str
    old_rule: str
    new_rule: str
    direction: str  # "now_kept", "now_disposed", "changed"

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "old_rule": self.old_rule,
                "new_rule": self.new_rule, "direction": self.direction}


@dataclass(frozen=True)
class RecordTypeChange:
    """A record type present in both versions with differences."""

    key: str
    name: str
    fields: tuple[FieldChange, ...] = ()
    retention: RetentionChange | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.key, "name": self.name,
                "fields": [f.to_dict() for f in self.fields],
                "retention": self.retention.to_dict() if self.retention else None}


@dataclass(frozen=True)
class PlanDiff:
    """All differences between two plan versions."""

    old_version: str
    new_version: str
    meta: tuple[FieldChange, ...] = ()
    classes_added: tuple[PlanClass, ...] = ()
    classes_removed: tuple[PlanClass, ...] = ()
    classes_renamed: tuple[FieldChange, ...] = ()
    added: tuple[RecordType, ...] = ()
    removed: tuple[RecordType, ...] = ()
    changed: tuple[RecordTypeChange, ...] = field(default=())

    @property
    def empty(self) -> bool:
        return not (self.meta or self.classes_added or self.classes_removed
                    or self.classes_renamed or self.added or self.removed or self.changed)

    @property
    def retention_changes(self) -> tuple[RecordTypeChange, ...]:
        return tuple(c for c in self.changed if c.retention is not None)

    def to_dict(self) -> dict[str, Any]:
        def brief(rt: RecordType) -> dict[str, Any]:
            return {"id": rt.key, "name": rt.name, "class": rt.class_code,
                    "retention": rt.retention.raw, "rule": rt.retention.describe()}

        return {
            "old_version": self.old_version,
            "new_version": self.new_version,
            "meta": [m.to_dict() for m in self.meta],
            "classes": {
                "added": [c.to_dict() for c in self.classes_added],
                "removed": [c.to_dict() for c in self.classes_removed],
                "renamed": [c.to_dict() for c in self.classes_renamed],
            },
            "record_types": {
                "added": [brief(r) for r in self.added],
                "removed": [brief(r) for r in self.removed],
                "changed": [c.to_dict() for c in self.changed],
            },
            "summary": {
                "added": len(self.added), "removed": len(self.removed),
                "changed": len(self.changed), "retention_changed": len(self.retention_changes),
            },
        }


def _direction(old: RecordType, new: RecordType) -> str:
    was_kept = old.retention.action is Action.KEEP
    is_kept = new.retention.action is Action.KEEP
    if was_kept and not is_kept:
        return "now_disposed"
    if is_kept and not was_kept:
        return "now_kept"
    return "changed"


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    """Compare two versions of a plan."""
    meta_changes = []
    old_meta, new_meta = old.meta.to_dict(), new.meta.to_dict()
    for key in ("title", "organisation", "version", "status", "adopted_by", "adoption_ref",
                "adoption_date", "valid_from", "valid_to", "supersedes", "legal_model"):
        if old_meta.get(key) != new_meta.get(key):
            meta_changes.append(FieldChange(
                key, _s(old_meta.get(key)), _s(new_meta.get(key))))

    old_cls, new_cls = old.class_by_key(), new.class_by_key()
    renamed = tuple(FieldChange(k, old_cls[k].title, new_cls[k].title)
                    for k in old_cls if k in new_cls and old_cls[k].title != new_cls[k].title)

    old_rts, new_rts = old.record_type_by_key(), new.record_type_by_key()
    changed: list[RecordTypeChange] = []
    for key, o in old_rts.items():
        n = new_rts.get(key)
        if n is None:
            continue
        fields = tuple(FieldChange(label, _get(o, attr), _get(n, attr))
                       for label, attr in _COMPARED if _get(o, attr) != _get(n, attr))
        retention = None
        if o.retention.raw != n.retention.raw or o.retention.describe() != n.retention.describe():
            retention = RetentionChange(o.retention.raw, n.retention.raw,
                                        o.retention.describe(), n.retention.describe(),
                                        _direction(o, n))
        if fields or retention:
            changed.append(RecordTypeChange(key, n.name, fields, retention))

    return PlanDiff(
        old_version=old.meta.version or old.source.path,
        new_version=new.meta.version or new.source.path,
        meta=tuple(meta_changes),
        classes_added=tuple(c for k, c in new_cls.items() if k not in old_cls),
        classes_removed=tuple(c for k, c in old_cls.items() if k not in new_cls),
        classes_renamed=renamed,
        added=tuple(r for k, r in new_rts.items() if k not in old_rts),
        removed=tuple(r for k, r in old_rts.items() if k not in new_rts),
        changed=tuple(changed),
    )


def _s(value: Any) -> str | None:
    return None if value is None else str(value)
