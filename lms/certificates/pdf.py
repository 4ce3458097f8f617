"""The certificate as a PDF: rendered from the certificate's snapshot, so the
document always says what was true when it was issued."""
import io

import segno
from fpdf.fonts import FontFace

from ..pdf import FONT, JUSOS_RED, TEXT_GREY, Document
from ..timeutil import format_date

MARGIN = 20  # mm, all round
SIGNATURE_Y = 150  # mm: the lines for place and date, and for the signature
SIGNATURE_WIDTH = 95  # mm
QR_SIZE = 30  # mm


def qr_png(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def certificate_pdf(certificate, verify_url, tz="Europe/Berlin"):
    pdf = Document(orientation="L", title=f"Zertifikat – {certificate.course_title}",
                   subject=f"Zertifikat {certificate.code}")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_page()
    _letterhead(pdf)
    _statement(pdf, certificate)
    _signatures(pdf, format_date(certificate.issued_at, tz))
    _facts(pdf, certificate, verify_url, tz)
    return pdf.to_bytes()


def _letterhead(pdf):
    pdf.set_fill_color(*JUSOS_RED)
    pdf.rect(0, 0, pdf.w, 14, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 12)
    pdf.set_xy(MARGIN, 4)
    pdf.cell(0, 6, "NRW Jusos · Landesvorstand")
    pdf.set_text_color(0, 0, 0)
    pdf.set_fill_color(255, 255, 255)


def _statement(pdf, certificate):
    """Title, holder and course, centred."""
    def line(text, size, style="", height=None, gap=0):
        pdf.set_font(FONT, style, size)
        pdf.multi_cell(0, height or size * 0.5, text, align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(gap)

    pdf.set_y(32)
    line("Zertifikat", 32, "B", gap=3)
    pdf.set_draw_color(*JUSOS_RED)
    pdf.set_line_width(0.8)
    pdf.line(pdf.w / 2 - 20, pdf.y, pdf.w / 2 + 20, pdf.y)
    pdf.ln(8)
    line("Hiermit wird bestätigt, dass", 13, gap=3)
    line(certificate.holder_name, 24, "B", height=11)
    if certificate.unit_name:
        pdf.set_text_color(*TEXT_GREY)
        line(certificate.unit_name, 12)
        pdf.set_text_color(0, 0, 0)
    pdf.ln(7)
    line("die Schulung", 13, gap=1)
    line(f"„{certificate.course_title}“", 18, "B", height=9)
    line(f"(Kursversion {certificate.course_version})", 11, gap=1)
    line("erfolgreich abgeschlossen hat.", 13)
    if certificate.completed_via:
        pdf.ln(2)
        pdf.set_text_color(*TEXT_GREY)
        line(f"Abgeschlossen {certificate.completed_via}.", 10)
        pdf.set_text_color(0, 0, 0)


def _signatures(pdf, issue_date):
    """A line for place and date (the date printed, the place written by
    hand) and one for the signature of the Landesvorstand."""
    right = pdf.w - MARGIN - SIGNATURE_WIDTH
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.3)
    pdf.set_font(FONT, "", 12)
    pdf.set_xy(MARGIN, SIGNATURE_Y - 7)
    pdf.cell(SIGNATURE_WIDTH, 6, issue_date, align="R")
    for x, caption in ((MARGIN, "Ort, Datum"), (right, "Landesvorstand der NRW Jusos")):
        pdf.line(x, SIGNATURE_Y, x + SIGNATURE_WIDTH, SIGNATURE_Y)
        pdf.set_xy(x, SIGNATURE_Y + 1.5)
        pdf.set_font(FONT, "", 9)
        pdf.set_text_color(*TEXT_GREY)
        pdf.cell(SIGNATURE_WIDTH, 5, caption)
        pdf.set_text_color(0, 0, 0)


def _facts(pdf, certificate, verify_url, tz):
    """Issue date, validity and code in one aligned table; how to verify
    the certificate, next to its QR code."""
    top = pdf.h - 15 - QR_SIZE
    pdf.set_xy(MARGIN, top)
    pdf.set_font(FONT, "", 10)
    pdf.set_text_color(*TEXT_GREY)
    rows = [("Ausgestellt am", format_date(certificate.issued_at, tz))]
    if certificate.expires_at:
        rows.append(("Gültig bis", format_date(certificate.expires_at, tz)))
    rows.append(("Zertifikatscode", certificate.code))
    with pdf.table(width=110, col_widths=(40, 70), align="LEFT", text_align="LEFT", borders_layout="NONE",
                   first_row_as_headings=False, line_height=5.5, padding=0) as table:
        for label, value in rows:
            row = table.row()
            row.cell(label)
            row.cell(value, style=FontFace(emphasis="BOLD", color=(0, 0, 0)))
    pdf.ln(3)
    pdf.set_x(MARGIN)
    pdf.set_font(FONT, "", 9)
    # The address on a line of its own, never a lone word after it.
    pdf.multi_cell(160, 4.5, f"Echtheit prüfen: QR-Code scannen oder diese Adresse aufrufen:\n{verify_url}", align="L")
    pdf.set_text_color(0, 0, 0)
    pdf.image(qr_png(verify_url), x=pdf.w - MARGIN - QR_SIZE, y=top, w=QR_SIZE, h=QR_SIZE)
