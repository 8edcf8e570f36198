"""Figures as a CSV download: text a spreadsheet keeps as text, and no copy left behind in a browser's cache."""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response

# A spreadsheet runs a cell starting with one of these as a formula (an organisation or service named "=..." too).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_text(text: str) -> str:
    """text as a spreadsheet shows it, never run as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_download(name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Response:
    """A CSV file to download as name, not kept by the browser (figures change; the next reader may be another)."""
    return csv_response(name, csv_text(header, rows))


def csv_text(header: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """The CSV text of a header and rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_response(name: str, text: str | bytes) -> Response:
    """CSV text as a file to download as name, not kept by the browser."""
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})
