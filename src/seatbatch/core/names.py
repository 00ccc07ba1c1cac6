"""How names that people type or read are told apart: one key for what looks the same on
screen, used for sheet and column names, device types, choices and partner ids alike (two
configured names, or two sheets, with one key are an error: which one was meant would depend
on how it was typed)."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable

# Letters of other scripts drawn like Latin ones (Unicode's confusables, the ones that can spell
# a sheet or column name of ours): a name written with them looks the same on screen.
LOOKALIKES = str.maketrans({
    chr(int(code, 16)): latin
    for latin, codes in {
        "a": "0430 0251 03B1",
        "b": "0432",
        "c": "0441",
        "d": "0501",
        "e": "0435 03B5",
        "h": "043D",
        "i": "0456 03B9 0131 2170",
        "j": "0458",
        "k": "043A 03BA",
        "l": "04CF 2113",
        "m": "043C",
        "o": "043E 03BF",
        "p": "0440 03C1",
        "q": "051B",
        "s": "0455",
        "t": "0442 03C4",
        "u": "03C5",
        "v": "03BD",
        "w": "051D",
        "x": "0445",
        "y": "0443",
        }.items()
    for code in codes.split()
})


def name_key(text: str) -> str:
    """What a sheet or column name looks like, as one key: two names with the same key cannot
    be told apart on screen. Compatibility forms are unified (NFKC: full-width letters, the
    non-breaking and other spaces), invisible format characters (zero-width spaces and joiners,
    soft hyphens, direction marks) dropped, accents and letters of other scripts drawn like
    Latin ones taken as those, white space trimmed and collapsed, case ignored."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(ch for ch in unicodedata.normalize("NFKD", text)
                   if unicodedata.category(ch) not in ("Cf", "Mn", "Me"))
    return " ".join(text.casefold().translate(LOOKALIKES).split())


def near_miss(text: str, names: Iterable[str], cutoff: float = 0.8) -> str | None:
    """The one of `names` that `text` was most likely meant to be, if any: the same letters and
    digits (`Term (years)` is term_years), else a close spelling (`Order` is Orders)."""
    def loose(name: str) -> str:
        return re.sub(r"[^0-9a-z]", "", name_key(name))

    keys = {loose(name): name for name in names}
    key = loose(text)
    if key in keys:
        return keys[key]
    found = difflib.get_close_matches(key, list(keys), n=1, cutoff=cutoff)
    return keys[found[0]] if found else None
