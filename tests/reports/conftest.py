"""Report fixtures: the sharing fixtures, and reading a PDF as a person (text, pages, PNG)."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.sharing.conftest import make_grant, verified_client  # noqa: F401  (fixtures)


def pdf_text(data: bytes) -> str:
    """All text of the PDF, whitespace folded to single spaces (lines wrap anywhere)."""
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join((p.extract_text() or "").split()) for p in reader.pages)


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def render_png(data: bytes, folder: Path, name: str = "report") -> Path:
    """Page 1 as a PNG through Debian's poppler-utils (pdftoppm), as a reader's viewer would."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        pytest.fail("pdftoppm (poppler-utils) is not installed: apt-get install poppler-utils")
    source = folder / f"{name}.pdf"
    source.write_bytes(data)
    subprocess.run(  # noqa: S603  (a fixed tool and our own file)
        [
            tool,
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(source),
            str(folder / name),
        ],
        check=True,
        timeout=60,
    )
    return folder / f"{name}.png"
