"""A report as an .xlsx workbook: one sheet per table, Chinese headers, numbers stored as numbers.

A CSV loses its types in some spreadsheet programs (a rate of 0.5 read as a date, say); an .xlsx
keeps them, and a centre's staff open it in WPS or Excel without an import dialog.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass

Cell = str | int | float | None
"""None leaves the cell empty: nothing was measured."""

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True, slots=True)
class Sheet:
    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


def workbook(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as an .xlsx file: a bold header row kept in view, columns wide enough for it.

    openpyxl is imported here, on the first export, not with the server: it would keep about 7 MB
    in every server process that never writes a workbook."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.styles import Font  # type: ignore[import-untyped]
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    book = Workbook()
    book.remove(book.active)
    for sheet in sheets:
        page = book.create_sheet(sheet.title)
        page.append(list(sheet.header))
        for cell in page[1]:
            cell.font = Font(bold=True)
        for row in sheet.rows:
            page.append(list(row))
        page.freeze_panes = "A2"
        for number, title in enumerate(sheet.header, 1):
            page.column_dimensions[get_column_letter(number)].width = max(8, 2 * len(title) + 2)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
