"""Images for lessons: checked, re-encoded, stored under ``instance/media/``.

An upload is decoded with Pillow and written again from the decoded pixels,
so what we serve is a real PNG, JPEG or WebP image and never the bytes the
browser sent (no script hidden in a polyglot file, no metadata such as GPS
positions). Files are named by a hash of their content, so the same image
uploaded twice is stored once and a name never changes its meaning.
"""
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from .models import MediaFile

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_PIXELS = 6000 * 6000
MAX_SIDE = 2400  # larger images are scaled down: lessons never need more
FORMATS = {"PNG": ("png", "image/png"), "JPEG": ("jpg", "image/jpeg"), "WEBP": ("webp", "image/webp"),
           "GIF": ("png", "image/png")}  # GIFs are stored as (still) PNG
MIME_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}


class MediaError(ValueError):
    pass


@dataclass
class PreparedImage:
    name: str
    data: bytes
    mime_type: str
    width: int
    height: int


def prepare_image(data):
    """Validate and re-encode an upload; raises MediaError with a German message."""
    if not data:
        raise MediaError("Die Datei ist leer.")
    if len(data) > MAX_UPLOAD_BYTES:
        raise MediaError(f"Das Bild ist größer als {MAX_UPLOAD_BYTES // (1024 * 1024)} MB.")
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if kind not in FORMATS:
                raise MediaError("Erlaubt sind PNG-, JPEG-, WebP- und GIF-Bilder.")
            if probe.width * probe.height > MAX_PIXELS:
                raise MediaError("Das Bild hat zu viele Pixel.")
            probe.verify()
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            image = ImageOps.exif_transpose(image)
            image.thumbnail((MAX_SIDE, MAX_SIDE))
            extension, mime_type = FORMATS[kind]
            output = io.BytesIO()
            if extension == "jpg":
                image.convert("RGB").save(output, "JPEG", quality=85, optimize=True)
            elif extension == "webp":
                image.save(output, "WEBP", quality=85)
            else:
                if image.mode not in {"RGB", "RGBA", "L", "LA", "P"}:
                    image = image.convert("RGBA")
                image.save(output, "PNG", optimize=True)
            width, height = image.size
    except MediaError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise MediaError("Die Datei ist kein gültiges Bild (beschädigt oder falscher Dateityp).") from None
    encoded = output.getvalue()
    name = f"{hashlib.sha256(encoded).hexdigest()[:24]}.{extension}"
    return PreparedImage(name, encoded, mime_type, width, height)


def media_dir(instance_path):
    path = Path(instance_path) / "media"
    path.mkdir(parents=True, exist_ok=True)
    return path


def store_image(folder, prepared, original_name, user):
    """Write the file (atomically) and its row; return the MediaFile."""
    target = Path(folder) / prepared.name
    if not target.exists():
        temporary = target.with_suffix(target.suffix + ".tmp")
        temporary.write_bytes(prepared.data)
        temporary.replace(target)
    row = MediaFile.get_or_none(MediaFile.name == prepared.name)
    if row is None:
        row = MediaFile.create(name=prepared.name, original_name=(original_name or prepared.name)[:200],
                               mime_type=prepared.mime_type, width=prepared.width, height=prepared.height,
                               size=len(prepared.data), uploaded_by=user)
    return row
