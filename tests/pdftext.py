"""The text drawn by the PDFs diariekit writes (one simple WinAnsi font, ``Tj`` strings)."""

from __future__ import annotations

from pathlib import Path

import pikepdf


def pdf_text(path: Path) -> str:
    """Every string shown with ``Tj``, page by page, one per line."""
    out: list[str] = []
    with pikepdf.open(path) as pdf:
        for page in pdf.pages:
            for operands, op in pikepdf.parse_content_stream(page):
                if str(op) == "Tj":
                    out.append(bytes(operands[0]).decode("cp1252"))
    return "\n".join(out)
