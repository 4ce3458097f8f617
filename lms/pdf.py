"""Shared PDF set-up: fpdf2 with the bundled DejaVu fonts, so umlauts, ß,
typographic quotes, dashes and the gender star print correctly."""
from pathlib import Path

from fpdf import FPDF

FONT_DIR = Path(__file__).parent / "static" / "fonts"
FONT = "DejaVu"
JUSOS_RED = (200, 0, 20)
TEXT_GREY = (70, 70, 70)


class Document(FPDF):
    """An A4 document with the platform's fonts registered."""

    def __init__(self, orientation="P", title="", subject=""):
        super().__init__(orientation=orientation, unit="mm", format="A4")
        self.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
        self.add_font(FONT, "BI", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        self.set_font(FONT, size=11)
        self.set_lang("de")
        self.set_creator("NRW Jusos Lernplattform")
        self.set_author("Landesvorstand der NRW Jusos")
        if title:
            self.set_title(title)
        if subject:
            self.set_subject(subject)

    def to_bytes(self):
        return bytes(self.output())
