"""CSV and XLSX files of a table: German headers, German dates.

CSV uses semicolons and a UTF-8 byte-order mark, which is what spreadsheet
programs set to German expect; XLSX stores real dates shown as TT.MM.JJJJ.

Every text is written as text, never as a formula (CSV/formula injection): a
name such as ``=HYPERLINK(...)`` would otherwise run in the spreadsheet of
whoever opens the export. Text starting with ``= + - @``, a tab or a carriage
return gets a leading apostrophe in CSV (what spreadsheet programs show as
text) and the string type in XLSX. Control characters, which XLSX cannot hold
and no name needs, are removed.
"""
import csv
import io
import re
from datetime import datetime

from flask import Response
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import TYPE_STRING
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..timeutil import format_date, local_date

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text):
    """``text`` without the control characters a spreadsheet cannot hold."""
    return CONTROL_CHARACTERS.sub("", text)


def _csv_value(value, tz):
    if isinstance(value, datetime):
        return format_date(value, tz)
    if isinstance(value, str):
        value = clean_text(value)
        return "'" + value if value.startswith(FORMULA_START) else value
    return "" if value is None else value


def _xlsx_value(sheet, value):
    """A plain value, or a cell forced to the string type for text that a
    spreadsheet would read as a formula."""
    if not isinstance(value, str):
        return value
    value = clean_text(value)
    if not value.startswith(FORMULA_START):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = TYPE_STRING
    return cell


def to_csv(columns, rows, tz="Europe/Berlin"):
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(value, tz) for value in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(columns, rows, title, tz="Europe/Berlin"):
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    widths = [max(12, len(c) + 2) for c in columns]
    body = []
    for row in rows:
        values = []
        for index, value in enumerate(row):
            if isinstance(value, datetime):
                # Only dates need a cell object (for the TT.MM.JJJJ format);
                # plain values are much cheaper for openpyxl to write.
                cell = WriteOnlyCell(sheet, value=local_date(value, tz))
                cell.number_format = "DD.MM.YYYY"
                values.append(cell)
            else:
                values.append(_xlsx_value(sheet, value))
                if value is not None:
                    widths[index] = min(max(widths[index], len(str(value)) + 2), 60)
        body.append(values)
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=clean_text(column))
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for values in body:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def table_download(file_format, columns, rows, title, basename, moment, tz="Europe/Berlin"):
    """A CSV or XLSX download of ``rows``, named ``<basename>-<Berlin date of
    moment>.<format>`` (the date people read, not the UTC one)."""
    stamp = local_date(moment, tz).isoformat()
    if file_format == "csv":
        data, content_type = to_csv(columns, rows, tz), CSV_CONTENT_TYPE
    else:
        data, content_type = to_xlsx(columns, rows, title, tz), XLSX_MIMETYPE
    return Response(data, content_type=content_type,
                    headers={"Content-Disposition": f'attachment; filename="{basename}-{stamp}.{file_format}"'})
