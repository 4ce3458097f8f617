"""Searching names as people type them: case, umlauts and accents don't
matter. "öztürk", "oeztuerk" and "Ozturk" all find "Öztürk"; "muenster" and
"munster" find "Münster".

A name is kept in two folded spellings (umlauts written out, and accents
dropped); a search matches when its own folding of either kind is part of
them. People's names are folded when they are saved (``User.search_key``),
so the database can filter and paginate; units are searched in memory.
"""
import unicodedata

_WRITTEN_OUT = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss"})


def _strip_accents(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def foldings(text):
    """The two folded spellings of ``text``: umlauts written out, accents dropped."""
    lowered = unicodedata.normalize("NFKC", text or "").casefold()
    return lowered.translate(_WRITTEN_OUT), _strip_accents(lowered).replace("ß", "ss")


def search_key(text):
    """What to store for searching ``text``."""
    return " | ".join(dict.fromkeys(foldings(text)))


def matches(needle, text):
    """Whether the typed ``needle`` finds ``text``."""
    key = search_key(text)
    return any(folded in key for folded in foldings(needle) if folded)
