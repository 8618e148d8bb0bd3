"""Export a plan as CSV (for Excel), Markdown or HTML (to publish or to attach to a decision).

The CSV form is UTF-8 with a BOM and ``;`` (what Swedish Excel opens directly), starts
with a preface of the plan's decision data, and loads back into the same plan.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Callable, Iterator

from diariekit.plans.model import Plan, PlanClass, RecordType

EXPORT_FORMATS = ("csv", "markdown", "html")

# (heading, value) — headings are ones the CSV loader recognises.
_COLUMNS: tuple[tuple[str, Callable[[RecordType], str | None]], ...] = (
    ("Klass", lambda r: r.class_code),
    ("Process", lambda r: r.process),
    ("ID", lambda r: r.key),
    ("Handlingstyp", lambda r: r.name),
    ("Beskrivning", lambda r: r.description),
    ("Registrering", lambda r: r.registration.raw),
    ("Medium", lambda r: r.medium),
    ("Format", lambda r: r.formats.raw),
    ("Original/Kopia", lambda r: r.original_copy),
    ("Sekretess", lambda r: r.secrecy.raw),
    ("Gallring", lambda r: r.retention.raw),
    ("Hänvisning till gallringsbeslut eller lagrum", lambda r: r.legal_basis),
    ("Leveransfrist", lambda r: r.delivery.raw),
    ("Förvaringsplats", lambda r: r.storage),
    ("Sortering", lambda r: r.sort_order),
    ("Ansvar", lambda r: r.responsible),
    ("Personuppgifter", lambda r: None if r.personal_data is None
     else ("Ja" if r.personal_data else "Nej")),
    ("Anmärkning", lambda r: r.notes),
)


def _preface(plan: Plan) -> list[tuple[str, str]]:
    m = plan.meta
    rows = [("Myndighet", m.organisation), ("Dokument", m.title), ("Version", m.version)]
    if m.adoption_ref or m.adoption_date:
        rows.append(("Beslutad", ", ".join(
            x for x in (m.adoption_ref, m.adoption_date.isoformat() if m.adoption_date else None)
            if x)))
    if m.adopted_by:
        rows.append(("Beslutande", m.adopted_by))
    if m.valid_from:
        rows.append(("Gäller från", m.valid_from.isoformat()))
    if m.valid_to:
        rows.append(("Gäller till", m.valid_to.isoformat()))
    if m.supersedes:
        rows.append(("Ersätter", m.supersedes))
    return [(k, v) for k, v in rows if v]


def export_csv(plan: Plan, delimiter: str = ";") -> str:
    buf = io.StringIO(newline="")
    w = csv.writer(buf, delimiter=delimiter, lineterminator="\r\n")
    for key, value in _preface(plan):
        w.writerow([key, value])
    w.writerow([])
    w.writerow([h for h, _ in _COLUMNS])
    for rt in plan.record_types:
        w.writerow([get(rt) or "" for _, get in _COLUMNS])
    return "\ufeff" + buf.getvalue()


def _grouped(plan: Plan) -> Iterator[tuple[PlanClass | None, list[RecordType]]]:
    by_class: dict[str | None, list[RecordType]] = {}
    for rt in plan.record_types:
        by_class.setdefault(rt.class_code or rt.process, []).append(rt)
    for cls in plan.classes:
        yield cls, by_class.pop(cls.key, [])
    for key, rts in by_class.items():
        yield (PlanClass(None, key) if key else None), rts


def _md(text: str | None) -> str:
    return (text or "").replace("|", "\\|").replace("\n", "<br>")


def export_markdown(plan: Plan) -> str:
    m = plan.meta
    out = [f"# {m.title}", ""]
    for key, value in _preface(plan):
        out.append(f"- **{key}:** {_md(value)}")
    out.append("")
    heads = ["ID", "Handlingstyp", "Registrering", "Sekretess", "Gallring", "Lagrum/beslut",
             "Leveransfrist", "Förvaring", "Anmärkning"]
    for cls, rts in _grouped(plan):
        title = "Övrigt" if cls is None else (f"{cls.code} {cls.title}" if cls.code else cls.title)
        depth = min(2 + (cls.code.count(".") if cls and cls.code else 0), 6)
        out += [f"{'#' * depth} {title}", ""]
        if not rts:
            continue
        out.append("| " + " | ".join(heads) + " |")
        out.append("|" + "---|" * len(heads))
        for r in rts:
            cells = [r.key, r.name, r.registration.raw, r.secrecy.raw, r.retention.raw,
                     r.legal_basis, r.delivery.raw, r.storage, r.notes]
            out.append("| " + " | ".join(_md(c) for c in cells) + " |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


_CSS = """body{font-family:system-ui,sans-serif;margin:2rem;color:#222}
table{border-collapse:collapse;width:100%;margin-bottom:1.5rem;font-size:.9rem}
th,td{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#eee}dl{display:grid;grid-template-columns:max-content auto;gap:.2rem 1rem}
dt{font-weight:600}"""


def export_html(plan: Plan) -> str:
    e = html.escape
    m = plan.meta
    out = ["<!DOCTYPE html>", '<html lang="sv"><head><meta charset="utf-8">',
           f"<title>{e(m.title)}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e(m.title)}</h1><dl>"]
    for key, value in _preface(plan):
        out.append(f"<dt>{e(key)}</dt><dd>{e(value)}</dd>")
    out.append("</dl>")
    heads = [h for h, _ in _COLUMNS if h not in ("Klass", "Process")]
    for cls, rts in _grouped(plan):
        title = "Övrigt" if cls is None else (f"{cls.code} {cls.title}" if cls.code else cls.title)
        depth = min(2 + (cls.code.count(".") if cls and cls.code else 0), 6)
        out.append(f"<h{depth}>{e(title)}</h{depth}>")
        if not rts:
            continue
        out.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in heads)
                   + "</tr></thead><tbody>")
        for r in rts:
            cells = [get(r) for h, get in _COLUMNS if h not in ("Klass", "Process")]
            out.append("<tr>" + "".join(
                f"<td>{e(c or '').replace(chr(10), '<br>')}</td>" for c in cells) + "</tr>")
        out.append("</tbody></table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def export_plan(plan: Plan, fmt: str) -> str:
    """The plan in ``fmt`` (one of :data:`EXPORT_FORMATS`)."""
    if fmt == "csv":
        return export_csv(plan)
    if fmt == "markdown":
        return export_markdown(plan)
    if fmt == "html":
        return export_html(plan)
    raise ValueError(f"unknown export format {fmt!r}")
