"""CSV and XLSX files of a table: German headers, German dates.

CSV uses semicolons and a UTF-8 byte-order mark, which is what spreadsheet
programs set to German expect; XLSX stores real dates shown as TT.MM.JJJJ.
"""
import csv
import io
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..timeutil import format_date, to_local

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv_value(value, tz):
    if isinstance(value, datetime):
        return format_date(value, tz)
    return "" if value is None else value


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
                cell = WriteOnlyCell(sheet, value=to_local(value, tz).date())
                cell.number_format = "DD.MM.YYYY"
                values.append(cell)
            else:
                values.append(value)
                if value is not None:
                    widths[index] = min(max(widths[index], len(str(value)) + 2), 60)
        body.append(values)
    for index, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(index + 1)].width = width
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = Font(bold=True)
        header.append(cell)
    sheet.append(header)
    for values in body:
        sheet.append(values)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
