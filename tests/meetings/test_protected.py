"""Protected facts match every spelling of them, and nothing else (pure, no database)."""

import pickle
import re
import string
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coordinator.meetings import protected

CENTRE = protected.organisation_facts("Randers Krisecenter", "Lyngbakken 0, 8999 Demoby",
                                      "+45 70 10 20 30", "post@krisecenter.example.dk",
                                      "crisis_centre")
HOME = ("Søndre Allé 4, 8000 Aarhus C", "mor@example.net", "70 10 11 12")


def test_a_crisis_centre_has_its_name_address_phone_domain_and_the_word_itself():
    assert CENTRE == ("Randers Krisecenter", "Lyngbakken 0, 8999 Demoby", "+45 70 10 20 30",
                      "krisecenter.example.dk", "Krisecenter")
    assert protected.organisation_facts("Skolen", "Vej 1", kind="school") == ("Skolen", "Vej 1")


@pytest.mark.parametrize("text,fact", [
    # case, spacing and punctuation
    ("LYNGBAKKEN 0, 8999 DEMOBY", "Lyngbakken 0, 8999 Demoby"),
    ("Lyngbakken 0 8999 Demoby", "Lyngbakken 0, 8999 Demoby"),
    ("lyngbakken  0,8999", "Lyngbakken 0, 8999 Demoby"),
    # the street with or without number and postcode
    ("vi mødes på Lyngbakken", "Lyngbakken 0, 8999 Demoby"),
    ("Lyngbakken 0", "Lyngbakken 0, 8999 Demoby"),
    # diacritics and Danish letters written out
    ("Sondre Alle 4", "Søndre Allé 4, 8000 Aarhus C"),
    ("Soendre alle", "Søndre Allé 4, 8000 Aarhus C"),
    ("SØNDRE ALLÈ", "Søndre Allé 4, 8000 Aarhus C"),
    # phone numbers in any grouping, with or without +45 / 0045
    ("ring 70102030", "+45 70 10 20 30"),
    ("ring 7010 2030", "+45 70 10 20 30"),
    ("ring +4570102030", "+45 70 10 20 30"),
    ("ring 0045 70-10-20-30.", "+45 70 10 20 30"),
    ("(70) 10.20.30", "+45 70 10 20 30"),
    # the domain in any mailbox or web address
    ("skriv til info@krisecenter.example.dk", "krisecenter.example.dk"),
    ("se https://www.krisecenter.example.dk/kontakt", "krisecenter.example.dk"),
    # inflected names
    ("Krisecenteret i Demoby", "Krisecenter"),
    ("på krisecentret", "Krisecenter"),
    ("Randers Krisecenters have", "Randers Krisecenter"),
    # a personal mailbox only as itself
    ("MOR@EXAMPLE.NET", "mor@example.net"),
    # calendar and mail encodings
    ("LOCATION:Lyngbakken 0\\, 8999 Demoby", "Lyngbakken 0, 8999 Demoby"),
    ("DESCRIPTION:Lyng\r\n bakken", "Lyngbakken 0, 8999 Demoby"),
    ("<p>Lyngbakken&nbsp;0</p>", "Lyngbakken 0, 8999 Demoby"),
])
def test_every_spelling_is_found(text, fact):
    assert protected.find(text, (*CENTRE, *HOME)).count(fact) == 1


@pytest.mark.parametrize("text", [
    "Rådhuset, Laksetorvet 1, 8900 Randers",
    "Lyngbakkevej 3",                      # another street that starts the same
    "ring 170102030 eller 70102031",       # longer and other numbers
    "skriv til far@example.net",           # another mailbox at a public provider
    "Krisecenterlederne mødes",            # a longer word is not an inflection
    "Søndre Skole",
    "",
])
def test_nothing_else_is_found(text):
    assert protected.find(text, (*CENTRE, *HOME)) == []


def test_replace_rewrites_every_spelling_and_keeps_the_rest():
    text = "Mødet er på Krisecenteret, Lyngbakken 0 8999 Demoby, tlf 7010 2030. Ellers Rådhuset."
    assert protected.replace(text, CENTRE, "[X]") == "Mødet er på [X], [X], tlf [X]. Ellers Rådhuset."


def test_a_phone_number_needs_six_digits_to_be_a_phone_number():
    assert protected.phone_digits("+45 70 10 20 30") == "70102030"
    assert protected.phone_digits("0045 7010 2030") == "70102030"
    assert protected.phone_digits("112") is None
    assert protected.phone_digits("Vej 12") is None


@given(st.lists(st.sampled_from(["Lyngbakken", "0", "8999", "Krisecenteret", "7010", "2030",
                                 "krisecenter.example.dk", " ", ", ", "\r\n ", "\\,", "é", "x"]),
                max_size=12).map("".join) | st.text(max_size=80))
def test_what_replace_leaves_is_never_found_again(text):
    """Redaction is complete: no spelling survives replace, whatever surrounds it."""
    assert protected.find(protected.replace(text, CENTRE, "·"), CENTRE) == []


def test_a_street_with_its_number_is_replaced_whole():
    facts = ["Lyngbakken 0, 8999 Demoby"]
    assert protected.replace("Mor bor på Lyngbakken 0 nu", facts, "[skjult]") == "Mor bor på [skjult] nu"
    assert protected.replace("Mor bor på lyngbakken nu", facts, "[skjult]") == "Mor bor på [skjult] nu"


def test_a_fact_uncovered_by_removing_another_is_removed_too():
    """Found by the property test above: the street is a street only once the phone number
    glued to it is gone."""
    text = protected.replace("Lyngbakken70102030", CENTRE, "·")
    assert protected.find(text, CENTRE) == [] and "lyngbakken" not in text.lower()


_PHONE = "+45 70 10 95 41"
_SEPARATORS = st.sampled_from([" ", "-", ".", "(", ")", "/", "\n", "\t", "", "  "])


@given(st.lists(_SEPARATORS, min_size=8, max_size=8), st.sampled_from(["", "+45 ", "0045", "+45-"]),
       st.text(max_size=40), st.text(max_size=40))
def test_the_phone_shortcut_never_hides_a_number_the_pattern_finds(separators, prefix, before,
                                                                 after):
    """``find`` skips a phone number's pattern when the text's digits do not hold its
    digits together; whatever the separators, prefix and surroundings, it answers exactly
    what the pattern answers."""
    digits = "70109541"
    number = prefix + "".join(d + s for d, s in zip(digits, separators, strict=True))
    for text in (before + number + after, before + after, number.replace("9", "x")):
        by_pattern = any(p.search(form) for p in protected.patterns(_PHONE)
                         for form in protected.readings(text))
        assert bool(protected.find(text, [_PHONE])) == by_pattern, text


def _replaced_by_patterns(text: str, fact: str, replacement: str) -> str:
    """``replace`` for one fact without its shortcut: its patterns until nothing changes."""
    text = unicodedata.normalize("NFC", text)
    for _ in range(8):
        before = text
        for pattern in protected.patterns(fact):
            text = pattern.sub(replacement, text)
        if text == before:
            break
    return text


@given(st.lists(_SEPARATORS, min_size=8, max_size=8), st.sampled_from(["", "+45 ", "0045", "+45-"]),
       st.text(max_size=40), st.text(max_size=40))
def test_replace_with_the_phone_shortcut_rewrites_what_the_pattern_rewrites(separators, prefix,
                                                                            before, after):
    """``replace`` skips a phone number's pattern as ``find`` does: the same text as the
    pattern alone gives, whatever the separators, prefix and surroundings."""
    number = prefix + "".join(d + s for d, s in zip("70109541", separators, strict=True))
    for text in (before + number + after, before + after, number.replace("9", "x"),
                 number + number):
        assert protected.replace(text, [_PHONE], "·") == _replaced_by_patterns(text, _PHONE, "·")


@given(st.lists(st.sampled_from(["mor@example.net", "MOR@EXAMPLE.NET", "mor", "@", "example.net",
                                 " ", ".", "-", "x", "ſ", "K", "＠"]), max_size=8).map("".join)
       | st.text(max_size=40))
def test_replace_with_the_e_mail_shortcut_rewrites_what_the_pattern_rewrites(text):
    """An e-mail address is only looked for in a text with an "@": the same text as the
    pattern alone gives."""
    for fact in ("mor@example.net", "Kasper.Skov@example.net"):
        assert protected.replace(text, [fact], "·") == _replaced_by_patterns(text, fact, "·")
        assert bool(protected.find(text, [fact])) == any(
            p.search(form) for p in protected.patterns(fact) for form in protected.readings(text))


def test_the_phone_shortcut_reads_digits_of_any_script():
    arabic_indic = "٧٠١٠٩٥٤١"  # the same number in Arabic-Indic digits
    assert protected.find(f"Ring {arabic_indic}", ["٧٠ ١٠ ٩٥ ٤١"]) == ["٧٠ ١٠ ٩٥ ٤١"]
    assert protected.find("Ring 70 10 95 41 i dag", [_PHONE]) == [_PHONE]
    assert protected.find("Ring 70 10 95 4 1 i dag", [_PHONE]) == [_PHONE]
    assert protected.find("Ring 70 10 95 4a1 i dag", [_PHONE]) == []


_SPELLINGS = st.lists(st.sampled_from([
    "Lyngbakken", "0", "8999", "Krisecenteret", "krisecentret", "7010", "2030", "+45",
    "krisecenter.example.dk", "post@", "mor@example.net", "MOR@EXAMPLE.NET", "Søndre", "Sondre",
    "Allé", "alle", "4", "Aarhus", "70 10 11 12", "Randers", " ", ", ", "\r\n ", "\\,", "é", "x",
    "&nbsp;", "ſ", "K", "@"]), max_size=14).map("".join) | st.text(max_size=60)
_OWN = ("Emma Demo Holm", "far@example.net", "Skjultvej 7, 8450 Hammel")


@given(_SPELLINGS)
def test_facts_with_shared_places_find_and_replace_exactly_as_plain_facts(text):
    """``Facts`` searches for the shared facts (the protected places') with one pattern and
    goes through them one by one only where it finds something: every answer is the same as
    the plain tuple's, for find, replace and replace_each."""
    plain = (*_OWN, *CENTRE, *HOME)
    shared = protected.Facts(plain, shared=(*CENTRE, *HOME))
    assert protected.find(text, shared) == protected.find(text, plain)
    assert protected.replace(text, shared, "·") == protected.replace(text, plain, "·")
    one_by_one = text
    for fact in CENTRE:
        one_by_one = protected.replace(one_by_one, (fact,), "·")
    assert protected.replace_each(text, CENTRE, "·") == one_by_one
    assert protected.mentions(text, CENTRE) == bool(
        any(p.search(protected.replace(text, (), "")) for f in CENTRE for p in protected.patterns(f)))


def test_shared_facts_survive_pickling_and_compare_as_tuples():
    facts = protected.Facts(("a", "b"), shared=("b",))
    again = pickle.loads(pickle.dumps(facts))
    assert again == ("a", "b") and again.shared == ("b",) and isinstance(again, protected.Facts)


# --------------------------------------------------------------------------- skeletons
# A fact's patterns run only on a text whose skeleton (consonants and digits) holds the
# fact's (``protected.skeleton``). That is exact only if every character a fact's letter
# pattern matches leaves the same in the skeleton as the fact's letter; checked here over
# every Unicode character, as ``re`` reads them.

_EVERY_CHARACTER = "".join(chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF)


def _matched(pattern: str) -> set[str]:
    """Every character some match of ``pattern`` (case ignored) takes, over all of Unicode."""
    return {char for m in re.finditer(pattern, _EVERY_CHARACTER, re.IGNORECASE)
            for char in m.group()}


def test_the_skeleton_knows_every_character_a_consonant_pattern_matches():
    letters = protected._skeletons().letters
    for consonant in protected._CONSONANTS:
        matched = _matched(protected._letter(consonant))
        assert {letters.get(char) for char in matched} == {consonant}, consonant
    assert set(letters) == set().union(*(_matched(protected._letter(c))
                                         for c in protected._CONSONANTS))
    assert "K" in letters and "ſ" in letters and "ç" in letters  # Kelvin sign, long s


def test_the_skeleton_scans_only_the_candidate_ranges_for_the_unicode_version_it_was_checked_on():
    """The test above read all of Unicode; the module reads only the candidate ranges when
    ``re``'s case rules are of the version it checked (else all of Unicode, at start)."""
    assert unicodedata.unidata_version == protected._SKELETON_CANDIDATES_CHECKED, (
        "a new Unicode version: run the test above, then update _SKELETON_CANDIDATES_CHECKED")


def test_nothing_a_vowel_a_separator_or_a_digit_matches_is_a_consonant():
    letters = protected._skeletons().letters
    vowels = {*protected._VOWEL_PATTERNS, *protected._DIGRAPHS.values()}
    for pattern in (*vowels, protected._SEPARATORS.rstrip("*")):
        matched = _matched(pattern)
        assert not matched & set(letters) and not matched & set(protected._DIGITS), pattern
    for digit in protected._DIGITS:
        assert _matched(re.escape(digit)) == {digit} and digit not in letters


def test_an_address_letter_matches_no_more_than_its_words_pattern_letter():
    """An e-mail address's pattern is its characters as written, case ignored."""
    for char in string.ascii_lowercase:
        assert _matched(re.escape(char)) <= _matched(protected._letter(char)), char
    for char in string.punctuation:
        assert _matched(re.escape(char)) == {char}, char


def _skeleton_by_its_definition(text: str) -> str:
    shapes = protected._skeletons()
    return shapes.other.sub("", text).translate(shapes.table)


_EVERY_CHARACTER = "".join(chr(code) for start, end in protected._EVERY_CODE_POINT
                           for code in range(start, end))


def test_the_skeleton_and_the_digits_keep_every_character_as_their_definitions_do():
    """``skeleton`` and ``_digits_only`` take short cuts (translation, ASCII): each
    character of Unicode, alone and after ASCII text, leaves what the definitions leave."""
    for start in range(0, len(_EVERY_CHARACTER), 4096):
        chunk = _EVERY_CHARACTER[start:start + 4096]
        assert protected.skeleton(chunk) == _skeleton_by_its_definition(chunk)
        assert protected.skeleton("Bo 7" + chunk) == _skeleton_by_its_definition("Bo 7" + chunk)
        assert protected._digits_only(chunk) == re.sub(r"\D+", "", chunk)
    for char in "ſKçÇñßÆøÅé\u212a\u1e0c\u0663":
        assert protected.skeleton(f"Rå {char}x") == _skeleton_by_its_definition(f"Rå {char}x")
    assert protected._digits_only("tlf. 70 10-20 30") == "70102030"


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
       | st.text(alphabet="aæøåbcçdñſKz ,.-0123456789\u0663", max_size=60))
def test_the_skeleton_and_the_digits_of_any_text_are_those_of_their_definitions(text):
    assert protected.skeleton(text) == _skeleton_by_its_definition(text)
    assert protected._digits_only(text) == re.sub(r"\D+", "", text)


def test_skeletons_of_texts_and_facts():
    assert protected.skeleton("Søndre Allé 4, 8000 Aarhus C") == "sndrll48000rhsc"
    assert protected.skeleton("SØNDRE\u212a ſ") == "sndrks"
    assert protected._fact_shortcut("Søndre Allé 4, 8000 Aarhus C")[1] == (
        "sndrll48000rhsc", "sndrll4", "sndrll")
    assert protected._fact_shortcut("Randers Krisecenter")[1] == ("rndrskrscnt",)
    assert protected._fact_shortcut("mor@example.net")[1] == ("mrxmplnt",)
    # a letter without a Latin base: no skeleton, its patterns always run
    assert protected._fact_shortcut("Łukasz Nowak") == (protected._NO_SHORTCUT, ())
    assert protected._fact_shortcut("Straße 5")[1] == ("strss5", "strss")  # casefolded: strasse


def _found_by_patterns(text: str, facts: tuple[str, ...]) -> list[str]:
    forms = protected.readings(text) if text else []
    return list(dict.fromkeys(fact for fact in facts if fact and any(
        p.search(form) for p in protected.patterns(fact) for form in forms)))


def _all_replaced_by_patterns(text: str, facts: tuple[str, ...], replacement: str) -> str:
    text = unicodedata.normalize("NFC", text)
    ordered = sorted({f for f in facts if f and f.strip()}, key=len, reverse=True)
    for _ in range(8):
        before = text
        for fact in ordered:
            for pattern in protected.patterns(fact):
                text = pattern.sub(replacement, text)
        if text == before:
            break
    return text


_FACTS = ("Emma Demo Holm", "Æbelø Ågård", "Łukasz Nowak", "Søndre Allé 4, 8000 Aarhus C",
          "mor@example.net", "deltager49@example.org", "Krisecenter", "krisecenter.example.dk",
          "Kaj Sørensen", "Straße 5", "70 10 11 12", "Ole_Bo", "Ærø")
_SKELETON_WORDS = [
    "Emma", "EMMA", "Demo", "Holm", "Hölm", "Æbelø", "Aebeloe", "Abelo", "Ägård", "Aagaard",
    "Søndre", "Soendre", "Sondre", "SØNDRE", "Allé", "alle", "4", "8000", "Aarhus", "Århus",
    "C", "mor@example.net", "MOR@EXAMPLE.NET", "mor", "@", "example", "deltager49@example.org",
    "DELTAGER49@EXAMPLE.ORG", "deltager4@example.org", "krisecenter", "Krisecentret",
    "KRISECENTERET", "\u212aaj", "ſørensen", "Kaj", "Sørensen", "Straße", "STRASSE", "5",
    "70 10 11 12", "7010", "Ole_Bo", "Ole Bo", "Ærø", "aeroe", "Ęrø", " ", "-", ".", ", ",
    "\r\n ", "\\n", "&amp;", "x", "ç", "ð", "ŀ", "ǆ", "Łukasz", "łukasz", "Lukasz", "Nowak"]
_SKELETON_SPELLINGS = st.lists(st.sampled_from(_SKELETON_WORDS), max_size=12).map("".join) | st.text(
    max_size=50)


def _answers_as_the_patterns_alone(text: str) -> None:
    for facts in (_FACTS, protected.Facts(_FACTS, shared=_FACTS[:5])):
        assert protected.find(text, facts) == _found_by_patterns(text, tuple(facts))
        assert protected.replace(text, facts, "·") == _all_replaced_by_patterns(
            text, tuple(facts), "·")
    assert protected.mentions(text, _FACTS) == any(
        p.search(unicodedata.normalize("NFC", text)) for f in _FACTS for p in protected.patterns(f))


@given(_SKELETON_SPELLINGS)
def test_with_skeletons_find_replace_and_mentions_answer_as_the_patterns_alone(text):
    _answers_as_the_patterns_alone(text)


def test_with_skeletons_every_spelling_and_pair_of_spellings_is_answered_as_by_the_patterns():
    for first in _SKELETON_WORDS:
        _answers_as_the_patterns_alone(first)
        for second in ("", " ", *_SKELETON_WORDS):
            _answers_as_the_patterns_alone(f"Ring til {first}{second} i dag")


@st.composite
def _fact_and_matching_text(draw):
    """A fact and a text that one of its patterns matches (generated from the pattern),
    between other text and respelled in part (case, an accent, a Danish letter)."""
    fact = draw(st.sampled_from(_FACTS))
    pattern = draw(st.sampled_from(protected.patterns(fact)))
    text = draw(st.from_regex(pattern, fullmatch=draw(st.booleans())))
    swaps = {"k": "\u212a", "s": "ſ", "o": "ø", "a": "å", "e": "é", "c": "ç"}
    text = "".join(swaps.get(c, c) if draw(st.integers(0, 9)) == 0 else c for c in text)
    return fact, draw(st.text(max_size=8)) + text + draw(st.sampled_from(["", " ", "x", "9"]))


@given(_fact_and_matching_text())
def test_a_text_made_from_a_facts_pattern_is_answered_as_by_the_patterns(case):
    fact, text = case
    _answers_as_the_patterns_alone(text)
    if any(p.search(form) for p in protected.patterns(fact) for form in protected.readings(text)):
        assert fact in protected.find(text, (fact,))
