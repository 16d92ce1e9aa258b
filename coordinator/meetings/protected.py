"""Protected facts and every way of writing them: pure, no DB, no HTTP.

A protected fact is a string that tells where a protected person is: the crisis centre's
name, address, phone number, e-mail domain and web address, or a protected person's own
address, phone and e-mail. People do not write them the way they are stored, so one fact
matches every spelling of it:

- case, diacritics and Danish letters written out (``Søndre Allé`` = ``Sondre Alle`` =
  ``Soendre alle``), punctuation and spacing (``Lyngbakken 0, 8999`` = ``Lyngbakken 0 8999``);
- an address also by its street with or without house number (``Lyngbakken``);
- a phone number in any grouping, with or without ``+45``/``0045`` (``70 10 20 30`` =
  ``+4570102030`` = ``7010-2030``);
- an e-mail address also by its domain, a web address by its host (``krisecenter.example.dk``
  in ``post@…``, ``www.…`` or ``https://…/kontakt``);
- a name also in its inflected forms (``Krisecenter`` → ``Krisecentret``,
  ``Krisecenteret``, ``Krisecentre``).

``find`` says which facts occur in a text (the leak scanner and the screen on save use it),
``replace`` rewrites them (redaction). Matching runs on the text as written and again after
iCalendar unfolding and unescaping and HTML unescaping, so an ``.ics`` file's line folding
hides nothing.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

# Letters a person may write for one another in Danish text (both ways round).
_EQUIVALENT = {
    "æ": "(?:æ|ae|ä)", "ø": "(?:ø|oe|ö|o)", "å": "(?:å|aa|a)",
}
_DIGRAPHS = {"ae": "(?:ae|æ|ä)", "oe": "(?:oe|ø|ö)", "aa": "(?:aa|å)"}
_SEPARATORS = r"[\W_]*"
_WORD = re.compile(r"\w+")
_PHONE_LIKE = re.compile(r"[\d\s+\-().]+")
_PHONE_SEPARATORS = re.compile(r"[\s+\-().]")
_EMAIL = re.compile(r"^[^@\s]+@([^@\s]+\.[^@\s]+)$")
_WEB = re.compile(r"^(?:https?://)?(?:www\.)?([a-z0-9æøå-]+(?:\.[a-z0-9æøå-]+)+)(?:[/:?#].*)?$", re.IGNORECASE)
_HOUSE_NUMBER = re.compile(r"^(.*?[^\W\d_]{2,}.*?)\s+(\d+\s*[a-zA-Z]?\b.*)$")
_FOLD = re.compile(r"\r?\n[ \t]")
_ICAL_ESCAPE = re.compile(r"\\([\\;,nN])")
# A noun's Danish endings: the last word of a name may carry one (Krisecenter-et, -s).
_INFLECTION = r"\w{0,5}"
_MIN_STREET = 4


def _accented() -> dict[str, str]:
    """For each plain letter, the accented letters written for it (e → éèêë…)."""
    table: dict[str, set[str]] = {}
    for code in range(0xC0, 0x250):
        char = chr(code).casefold()
        if len(char) != 1 or char in "æøå":
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        if base != char and base.isascii() and base.isalpha():
            table.setdefault(base, set()).add(char)
    table.setdefault("o", set()).update("ø")  # Sondre for Søndre
    table.setdefault("a", set()).update("å")  # Abyhoj for Åbyhøj
    return {base: "".join(sorted(chars)) for base, chars in table.items()}


_ACCENTS = _accented()


def _letter(char: str) -> str:
    """A pattern for one (casefolded) character of a fact."""
    if char in _EQUIVALENT:
        return _EQUIVALENT[char]
    base = unicodedata.normalize("NFKD", char)[0] if char.isalpha() else char
    if base.isascii() and base.isalpha():
        return "[" + re.escape(base + _ACCENTS.get(base, "")) + "]"
    return re.escape(char)


def _word_pattern(word: str) -> str:
    out, i = [], 0
    while i < len(word):
        pair = word[i:i + 2]
        if pair in _DIGRAPHS:
            out.append(_DIGRAPHS[pair])
            i += 2
        else:
            out.append(_letter(word[i]))
            i += 1
    return "".join(out)


# The skeleton of a text: its consonants and digits alone, each consonant as the plain
# letter whose pattern (``_letter``) matches it (``Sønder Allé 3`` → ``sndrll3``). Where a
# words pattern matches, the skeleton of the text it matched is the skeleton of the fact's
# words (``_words_skeleton``), since every character the pattern matches is one of these:
# - for a consonant of the fact, a character of that consonant's pattern, so the same
#   consonant (the characters of the consonants' patterns are computed from the patterns
#   themselves, as ``re`` reads them, case and accents included);
# - for a digit, that digit;
# - for a vowel (or æ, ø, å, ae, oe, aa), between words, or after the last word's stem,
#   a character that none of the consonants' patterns matches and that is not a digit.
# So a text whose skeleton does not hold a fact's skeleton cannot match it, and its
# patterns need not run (or be compiled). tests/meetings/test_protected.py checks these
# properties over every Unicode character; a fact with a character outside them (a
# letter with no Latin base, such as ``ß`` or ``ł``) has no skeleton and is always searched.
_CONSONANTS = "bcdfghjklmnpqrstvwxz"
_VOWELS = "aeiouy"
_DIGITS = "0123456789"
# Where the characters of the consonants' patterns lie: Latin and its accented letters
# (``_accented``), and the letterlike symbols (the Kelvin sign is a K to ``re``). A test
# scans every Unicode character to show that these ranges hold them all, for the Unicode
# version of ``re``'s case rules it ran on; with any other version all of Unicode is
# scanned here (0.6 s, once per process).
_SKELETON_CANDIDATES = ((0x0000, 0x0250), (0x1E00, 0x1F00), (0x2100, 0x2150))
_SKELETON_CANDIDATES_CHECKED = "14.0.0"  # unicodedata.unidata_version of that test
_EVERY_CODE_POINT = ((0x0000, 0xD800), (0xE000, 0x110000))


@dataclass(frozen=True)
class _Skeletons:
    letters: dict[str, str]  # each character of a consonant's pattern → the consonant
    other: re.Pattern[str]  # a run of characters that are neither those nor digits
    table: dict[int, str]
    # ``skeleton`` as a translation: each kept character to its consonant or digit, the rest
    # of ASCII to nothing (``str.translate`` reads ASCII text without a lookup per character).
    kept: dict[int, str | None]
    beyond_ascii: re.Pattern[str]  # a character beyond ASCII that the skeleton keeps


@lru_cache(maxsize=1)
def _skeletons() -> _Skeletons:
    ranges = (_SKELETON_CANDIDATES if unicodedata.unidata_version == _SKELETON_CANDIDATES_CHECKED
              else _EVERY_CODE_POINT)
    candidates = "".join(chr(code) for start, end in ranges for code in range(start, end))
    combined = re.compile("|".join(f"({_letter(c)})" for c in _CONSONANTS), re.IGNORECASE)
    letters = {m.group(): _CONSONANTS[(m.lastindex or 1) - 1]
               for m in combined.finditer(candidates)}
    kept = "".join(sorted(letters)) + _DIGITS
    # ASCII and the kept characters only (all of Unicode would be a million entries where
    # ``ranges`` is every code point): ``skeleton`` drops what is left beyond ASCII itself.
    table = {ord(char): consonant for char, consonant in letters.items()}
    translation: dict[int, str | None] = {**dict.fromkeys(range(128)), **table,
                                          **{ord(digit): digit for digit in _DIGITS}}
    beyond = "".join(sorted(char for char in letters if not char.isascii()))
    return _Skeletons(letters, re.compile(f"[^{re.escape(kept)}]+"), table, translation,
                      re.compile(f"[{re.escape(beyond)}]"))


def skeleton(text: str) -> str:
    """The text's consonants (as plain letters) and digits, in order, the rest left out.

    The same as ``_skeletons().other`` removed and ``table`` applied (tested), in a
    fiftieth of the time on ASCII and half of it on a Danish text: where no character
    beyond ASCII is kept (æ, ø, å and é are vowels), those characters are dropped and the
    ASCII left is translated at once."""
    shapes = _skeletons()
    if not text.isascii() and shapes.beyond_ascii.search(text) is None:
        text = _ascii_only(text)
    translated = text.translate(shapes.kept)  # every kept character becomes ASCII
    return translated if translated.isascii() else _ascii_only(translated)  # none else is kept


def _ascii_only(text: str) -> str:
    return text.encode("ascii", "ignore").decode("ascii")


# A fact's letter patterns that stand for no consonant.
_VOWEL_PATTERNS = frozenset({*(_letter(v) for v in _VOWELS), *_EQUIVALENT.values()})


_CONSONANT_PATTERNS = {_letter(consonant): consonant for consonant in _CONSONANTS}


@lru_cache(maxsize=4096)
def _char_skeleton(char: str) -> str | None:
    """What one (casefolded) character of a fact leaves in the skeleton of whatever its
    pattern matches; None where that is not known (a letter without a Latin base)."""
    if char in _DIGITS:
        return char
    pattern = _letter(char)
    if pattern in _VOWEL_PATTERNS:
        return ""
    return _CONSONANT_PATTERNS.get(pattern)


def _word_skeleton(word: str) -> str | None:
    """``_word_pattern``'s word as the skeleton of every text it matches (None: unknown)."""
    out, i = [], 0
    while i < len(word):
        if word[i:i + 2] in _DIGRAPHS:  # two vowels, or æ, ø, å
            i += 2
            continue
        char = _char_skeleton(word[i])
        if char is None:
            return None
        out.append(char)
        i += 1
    return "".join(out)


def _stem(word: str) -> str:
    """The part of a noun its Danish endings are added to (krisecenter → krisecent)."""
    for ending in ("eret", "er", "en", "et", "e"):
        if len(word) - len(ending) >= 5 and word.endswith(ending):
            return word[: -len(ending)]
    return word


def _pattern_words(text: str, inflect: bool) -> tuple[list[str], bool] | None:
    """The words a words pattern is made of (the last one's stem where it takes Danish
    endings) and whether it does; None for a text without words."""
    words = _WORD.findall(unicodedata.normalize("NFC", text).casefold())
    if not words:
        return None
    last = words[-1]
    if inflect and last.isalpha() and len(last) >= 5:
        return [*words[:-1], _stem(last)], True
    return words, False


def _words_pattern(text: str, inflect: bool) -> str | None:
    found = _pattern_words(text, inflect)
    if found is None:
        return None
    words, inflected = found
    return (r"(?<!\w)" + _SEPARATORS.join(_word_pattern(w) for w in words)
            + (_INFLECTION if inflected else "") + r"(?!\w)")


def _words_skeleton(text: str, inflect: bool) -> str | None:
    """The skeleton every match of ``_words_pattern(text, inflect)`` holds (None: unknown,
    or no pattern)."""
    found = _pattern_words(text, inflect)
    if found is None:
        return None
    skeletons = [_word_skeleton(w) for w in found[0]]
    return None if None in skeletons else "".join(s or "" for s in skeletons)


CRISIS_CENTRE_WORD = "Krisecenter"


def organisation_facts(name: str, address: str = "", phone: str = "", email: str = "",
                       kind: str = "") -> tuple[str, ...]:
    """The facts that tell where a protected organisation is: its name, address, phone,
    e-mail domain, and for a crisis centre the word itself in every form ("Krisecenteret
    i Demoby" says as much as the address)."""
    facts = [name, address, phone, email_domain(email)]
    if kind == "crisis_centre":
        facts.append(CRISIS_CENTRE_WORD)
    return tuple(dict.fromkeys(f.strip() for f in facts if f and f.strip()))


def email_domain(address: str) -> str:
    """The domain of an organisation's e-mail address ("" if it is not one)."""
    match = _EMAIL.match(address.strip())
    return match.group(1) if match else ""


def phone_digits(value: str) -> str | None:
    """The national digits of a phone-number-like string (without +45), else None."""
    if not _PHONE_LIKE.fullmatch(value.strip()):
        return None
    digits = _PHONE_SEPARATORS.sub("", value)
    if digits.startswith("0045"):
        digits = digits[4:]
    elif digits.startswith("45") and len(digits) == 10:
        digits = digits[2:]
    return digits if len(digits) >= 6 else None


def _phone_pattern(digits: str) -> str:
    return r"(?<!\d)(?:(?:\+|00)\s*45[\s\-.()/]*)?" + r"[\s\-.()/]*".join(digits) + r"(?!\d)"


@lru_cache(maxsize=4096)
def patterns(fact: str) -> tuple[re.Pattern[str], ...]:
    """Every spelling of one protected fact, as patterns over the text as written."""
    fact = " ".join(fact.split())
    if not fact:
        return ()
    found: list[str] = []
    digits = phone_digits(fact)
    if digits:
        found.append(_phone_pattern(digits))
    elif _EMAIL.match(fact):
        # The whole address: a personal mailbox's domain (gmail.com) is everyone's. An
        # organisation's own domain is a fact of its own (``email_domain``).
        found.append(r"(?<![\w.+-])" + re.escape(fact) + r"(?![\w-])")
    else:
        found += [_words_pattern(text, inflect) or "" for text, inflect in _word_sources(fact)]
    return tuple(re.compile(p, re.IGNORECASE) for p in found if p)


def _word_sources(fact: str) -> list[tuple[str, bool]]:
    """The texts of a fact's words patterns and whether each takes Danish endings, for a
    fact (its spaces made single) that is neither a phone number nor an e-mail address:
    a web address's host; else the fact, and for an address also its street with number
    and then its street alone (so a replacement takes both)."""
    if (web := _WEB.match(fact)) and "." in fact and " " not in fact:
        return [(web.group(1), False)]
    has_digit = any(c.isdigit() for c in fact)
    sources = [(fact, not has_digit)]
    first = fact.split(",")[0].strip()
    street = _HOUSE_NUMBER.match(first)
    if street and len(street.group(1).strip()) >= _MIN_STREET:
        if first != fact:
            sources.append((first, False))
        sources.append((street.group(1), False))
    return sources


def _unescape_ical(text: str) -> str:
    return _ICAL_ESCAPE.sub(lambda m: " " if m.group(1) in "nN" else m.group(1), text)


def readings(text: str) -> list[str]:
    """The text as written and as a calendar or mail client would show it."""
    unfolded = _FOLD.sub("", text)
    forms = [text, unfolded, _unescape_ical(unfolded), html.unescape(_unescape_ical(unfolded))]
    return list(dict.fromkeys(unicodedata.normalize("NFC", f) for f in forms))


class Facts(tuple[str, ...]):
    """Protected facts that know which of them are ``shared``: the protected places' facts
    that every meeting withholds alike (at national scale some 250 of them, beside a
    meeting's own few). ``find`` and ``replace`` look for all the shared facts in a text
    with one search and go through them one by one only where it finds something, with
    the same result as without (a text in which no shared fact occurs is most texts)."""

    shared: tuple[str, ...]

    def __new__(cls, facts: Iterable[str], shared: Iterable[str] = ()) -> Facts:
        self = super().__new__(cls, facts)
        self.shared = tuple(shared)
        return self

    def __reduce__(self) -> tuple[Any, ...]:
        return Facts, (tuple(self), self.shared)


@dataclass(frozen=True)
class _Screen:
    """Every spelling of every one of ``facts`` as one pattern (None: nothing to find), and
    what it found in the texts it was asked about lately (names, organisations and e-mail
    addresses of the same people come up meeting after meeting)."""

    pattern: re.Pattern[str] | None
    facts: frozenset[str]
    seen: dict[str, bool] = field(default_factory=dict)

    def search(self, text: str, shape: str | None = None) -> bool:
        """Whether any of the facts occurs in ``text`` as it is (no other readings);
        ``shape``: the text's skeleton where it is known. The one pattern runs only where
        one of the facts' shortcuts lets it (``_may_occur``)."""
        if len(text) > _SCREEN_MEMO_LENGTH:  # whole mails and such: rarely seen twice
            return self._search(text, shape)
        found = self.seen.get(text)
        if found is None:
            found = self._search(text, shape)
            if len(self.seen) >= _SCREEN_MEMORY:
                self.seen.clear()
            self.seen[text] = found
        return found

    def _search(self, text: str, shape: str | None) -> bool:
        if self.pattern is None:
            return False
        texts = _Texts([text], None if shape is None else [shape])
        if not any(_may_occur(fact, texts) for fact in self.facts):
            return False
        return self.pattern.search(text) is not None


_SCREEN_MEMORY = 20_000  # texts of at most _SCREEN_MEMO_LENGTH characters: a few MB at most
_SCREEN_MEMO_LENGTH = 200


@lru_cache(maxsize=8)
def _screen(facts: tuple[str, ...]) -> _Screen:
    # Each fact's patterns as alternatives of one: it matches somewhere exactly when one
    # of them does (alternatives share no groups and carry no flags of their own).
    alternatives = [p.pattern for fact in facts for p in patterns(fact)]
    pattern = re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE) \
        if alternatives else None
    return _Screen(pattern, frozenset(facts))


def _shared_screen(facts: Iterable[str]) -> _Screen | None:
    shared = getattr(facts, "shared", ())
    return _screen(shared) if shared else None


def mentions(text: str, facts: tuple[str, ...]) -> bool:
    """Whether any spelling of any of ``facts`` occurs in ``text`` as written (NFC), the
    text ``replace`` rewrites; one search however many facts there are."""
    return _screen(tuple(facts)).search(unicodedata.normalize("NFC", text))


def find(text: str, facts: Iterable[str]) -> list[str]:
    """The facts that occur in ``text`` in any of their spellings (empty: none)."""
    texts = _Texts(readings(text) if text else [])
    hits: list[str] = []
    screen = _shared_screen(facts)
    absent: frozenset[str] = frozenset()
    if screen is not None and not any(screen.search(form, shape) for form, shape in zip(
            texts.forms, texts.skeletons(), strict=True)):
        absent = screen.facts  # no shared fact occurs in any reading of the text
    for fact in facts:
        if not fact or fact in absent or fact in hits:
            continue
        if not _may_occur(fact, texts):
            continue
        if any(p.search(form) for p in patterns(fact) for form in texts.forms):
            hits.append(fact)
    return hits


# What a text must hold for one fact's patterns to match anywhere in it (``_fact_shortcut``).
_NO_SHORTCUT = "none"  # nothing simpler than the patterns themselves
_DIGITS_TOGETHER = "digits"  # a phone number: its digits together once all else is left out
_AT = "at"  # an e-mail address: an "@" (and the address's skeleton, where it has one)
_SKELETON = "skeleton"  # words: one of the patterns' skeletons within the text's


@lru_cache(maxsize=16384)
def _fact_shortcut(fact: str) -> tuple[str, tuple[str, ...]]:
    """A fact's shortcut: for a phone number its digits, for words the skeletons of its
    patterns.

    A phone number's only pattern (``_phone_pattern``) allows nothing but separators (none
    of them a digit) between its digits, so where it matches, its digits stand together
    once everything that is not a digit is left out: a text without them cannot match. An
    e-mail address's only pattern holds its "@" as written, and "@" has no other case. A
    words pattern matches only where the text's skeleton holds the pattern's (``skeleton``).
    The patterns decide everything else; the shortcut only spares running (and compiling)
    them on a text they cannot match."""
    fact = " ".join(fact.split())
    if not fact:
        return _NO_SHORTCUT, ()
    digits = phone_digits(fact)
    if digits is not None:
        return _DIGITS_TOGETHER, (digits,)
    if _EMAIL.match(fact):
        # Its pattern is the address as written, each character in either case: the same
        # characters as the address's words pattern would match there, or fewer.
        shape = _address_skeleton(fact)
        return _AT, (() if shape is None else (shape,))
    skeletons = []
    for text, inflect in _word_sources(fact):
        if _pattern_words(text, inflect) is None:
            continue  # no words, no pattern
        found = _words_skeleton(text, inflect)
        if found is None:
            return _NO_SHORTCUT, ()
        skeletons.append(found)
    return _SKELETON, tuple(skeletons)


def _address_skeleton(address: str) -> str | None:
    """The skeleton of every text an e-mail address's pattern matches (None: unknown). Its
    letters and digits as a words pattern's; its other characters (``@``, ``.``, ``-``…,
    ASCII without case) match only themselves, which are neither."""
    if not address.isascii():
        return None
    out = []
    for char in address.casefold():
        shape = _char_skeleton(char) if char.isalnum() else ""
        if shape is None:
            return None
        out.append(shape)
    return "".join(out)


class _Texts:
    """The texts a fact is looked for in, and what the shortcuts read of them, each
    computed once when first needed."""

    def __init__(self, forms: list[str], skeletons: list[str] | None = None) -> None:
        self.forms = forms
        self._digits: list[str] | None = None
        self._skeletons = skeletons

    def digits(self) -> list[str]:
        if self._digits is None:
            self._digits = [_digits_only(form) for form in self.forms]
        return self._digits

    def skeletons(self) -> list[str]:
        if self._skeletons is None:
            self._skeletons = [skeleton(form) for form in self.forms]
        return self._skeletons


def _may_occur(fact: str, texts: _Texts) -> bool:
    """False only where no pattern of ``fact`` can match any of the texts."""
    kind, shapes = _fact_shortcut(fact)
    if kind is _SKELETON:
        runs = texts.skeletons()
        for shape in shapes:
            for run in runs:
                if shape in run:
                    return True
        return False
    if kind is _DIGITS_TOGETHER:
        digits = shapes[0]
        for run in texts.digits():
            if digits in run:
                return True
        return False
    if kind is _AT:
        if not shapes:
            return any("@" in form for form in texts.forms)
        return any("@" in form and shapes[0] in run
                   for form, run in zip(texts.forms, texts.skeletons(), strict=True))
    return True


_NOT_DIGITS = re.compile(r"\D+")
_ASCII_DIGITS: dict[int, str | None] = {code: chr(code) if chr(code) in _DIGITS else None
                                         for code in range(128)}


def _digits_only(text: str) -> str:
    """The text's digits (``\\d``: any script, as the phone pattern reads them) in order,
    everything else left out. ASCII text is translated at once (the same, tested)."""
    if text.isascii():
        return text.translate(_ASCII_DIGITS)
    return _NOT_DIGITS.sub("", text)


def replace(text: str, facts: Iterable[str], replacement: str) -> str:
    """``text`` with every spelling of every fact replaced (longest facts first), again
    until nothing changes: removing one fact can uncover another ("Lyngbakken70102030"
    is a street only once the phone number glued to it is gone)."""
    text = unicodedata.normalize("NFC", text)
    screen = _shared_screen(facts)
    ordered = sorted({f for f in facts if f and f.strip()}, key=len, reverse=True)
    for _ in range(8):  # each pass only removes text, so this settles at once in practice
        before = text
        quiet: bool | None = None  # no shared fact in the text as it is now (None: unknown)
        now = _Texts([text])
        for fact in ordered:
            if screen is not None and fact in screen.facts:
                if quiet is None:
                    quiet = not screen.search(text, now.skeletons()[0])
                if quiet:
                    continue
            if not _may_occur(fact, now):
                continue
            for pattern in patterns(fact):
                changed = pattern.sub(replacement, text)
                if changed != text:
                    text, quiet, now = changed, None, _Texts([changed])
        if text == before:
            break
    return text


def replace_each(text: str, facts: tuple[str, ...], replacement: str) -> str:
    """``replace(text, (fact,), replacement)`` for each fact in turn, skipping the facts
    at once where none of them occurs (``mentions``)."""
    if not facts:
        return text
    if not mentions(text, facts):
        return unicodedata.normalize("NFC", text)
    for fact in facts:
        text = replace(text, (fact,), replacement)
    return text
