"""The certificate as a PDF: rendered from the certificate's snapshot, so the
document always says what was true when it was issued."""
import io

import segno

from ..pdf import FONT, JUSOS_RED, TEXT_GREY, Document
from ..timeutil import format_date


def qr_png(url):
    buffer = io.BytesIO()
    segno.make(url, error="m").save(buffer, kind="png", scale=8, border=2)
    buffer.seek(0)
    return buffer


def certificate_pdf(certificate, verify_url, tz="Europe/Berlin"):
    pdf = Document(orientation="L", title=f"Teilnahmebescheinigung – {certificate.course_title}",
                   subject=f"Zertifikat {certificate.code}")
    pdf.set_auto_page_break(False)
    pdf.add_page()
    width = pdf.w

    pdf.set_fill_color(*JUSOS_RED)
    pdf.rect(0, 0, width, 14, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 12)
    pdf.set_xy(15, 4)
    pdf.cell(0, 6, "NRW Jusos · Landesvorstand")

    pdf.set_text_color(0, 0, 0)
    pdf.set_xy(15, 32)
    pdf.set_font(FONT, "B", 30)
    pdf.cell(width - 30, 14, "Teilnahmebescheinigung", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, "", 14)
    pdf.cell(0, 8, "Hiermit wird bestätigt, dass", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font(FONT, "B", 24)
    pdf.multi_cell(0, 12, certificate.holder_name, align="C", new_x="LMARGIN", new_y="NEXT")
    if certificate.unit_name:
        pdf.set_font(FONT, "", 13)
        pdf.cell(0, 8, certificate.unit_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font(FONT, "", 14)
    pdf.cell(0, 8, "die Schulung", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 18)
    pdf.multi_cell(0, 10, f"„{certificate.course_title}“", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 12)
    pdf.cell(0, 7, f"(Kursversion {certificate.course_version})", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 14)
    pdf.cell(0, 9, "erfolgreich abgeschlossen hat.", align="C", new_x="LMARGIN", new_y="NEXT")

    pdf.set_text_color(*TEXT_GREY)
    pdf.set_font(FONT, "", 11)
    pdf.set_xy(15, 160)
    pdf.cell(150, 6, f"Ausgestellt am {format_date(certificate.issued_at, tz)}", new_x="LMARGIN", new_y="NEXT")
    if certificate.expires_at:
        pdf.cell(150, 6, f"Gültig bis {format_date(certificate.expires_at, tz)}", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(150, 6, f"Zertifikatscode: {certificate.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "", 9)
    pdf.multi_cell(150, 5, f"Echtheit prüfen: QR-Code scannen oder {verify_url} aufrufen.")
    pdf.set_xy(15, 190)
    pdf.set_font(FONT, "I", 10)
    pdf.cell(150, 6, "Landesvorstand der NRW Jusos")

    qr_size = 42
    pdf.image(qr_png(verify_url), x=width - 15 - qr_size, y=155, w=qr_size, h=qr_size)
    return pdf.to_bytes()
