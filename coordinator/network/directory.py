"""The organisation directory as data: validating one organisation and reading or writing
the directory as CSV the way Danish Excel does (UTF-8, semicolons).

Pure: no database, no HTTP. ``network/service.py`` stores what this module accepts.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from markupsafe import Markup

from coordinator.network.vocab import ORGANISATION_KINDS, OrganisationKind, Sector

# The CSV columns, in order, as the header names them (Danish, as users see them).
COLUMNS = ("navn", "type", "sektor", "adresse", "telefon", "e-mail", "beskyttet adresse")
MAX_ROWS = 5000
_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")
_PHONE = re.compile(r"^\+?[0-9 ()-]{4,20}$")
_KINDS = frozenset(k.value for k in OrganisationKind)
_SECTORS = frozenset(s.value for s in Sector)
_YES = {"ja", "j", "x", "1", "true", "yes"}
_NO = {"", "nej", "n", "0", "false", "no"}


@dataclass(frozen=True)
class OrganisationData:
    """One organisation as the directory keeps it."""

    name: str
    kind: str
    sector: str
    address: str = ""
    phone: str = ""
    email: str = ""
    location_protected: bool = False


class InvalidOrganisation(ValueError):
    """An organisation that cannot be stored: the Danish reason and the field."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def kind_of(value: str) -> OrganisationKind:
    """The kind for a stored key or a Danish label, any case ("Skole", "school")."""
    wanted = value.strip().casefold()
    for kind, info in ORGANISATION_KINDS.items():
        if wanted in (kind.value, info.label_da.casefold()):
            return kind
    raise InvalidOrganisation(f"Ukendt type »{value.strip()}«. Brug en af: "
                              + ", ".join(i.label_da for i in ORGANISATION_KINDS.values()) + ".",
                              "kind")


def sector_of(value: str, kind: OrganisationKind) -> Sector:
    """The sector for a key or a Danish label; empty means the kind's own sector."""
    wanted = value.strip().casefold()
    if not wanted:
        return kind.default_sector
    for sector in Sector:
        if wanted in (sector.value, sector.label_da.casefold()):
            return sector
    raise InvalidOrganisation(f"Ukendt sektor »{value.strip()}«.", "sector")


def organisation(name: str, kind: str, sector: str = "", address: str = "", phone: str = "",
                 email: str = "", location_protected: bool = False) -> OrganisationData:
    """A validated organisation (``InvalidOrganisation`` with the field otherwise)."""
    name = " ".join(name.split())
    if not name:
        raise InvalidOrganisation("Skriv organisationens navn.", "name")
    if len(name) > 200:
        raise InvalidOrganisation("Navnet må højst være 200 tegn.", "name")
    the_kind = kind_of(kind)
    the_sector = sector_of(sector, the_kind)
    address, phone, email = address.strip(), phone.strip(), email.strip()
    if len(address) > 300:
        raise InvalidOrganisation("Adressen må højst være 300 tegn.", "address")
    if phone and not _PHONE.match(phone):
        raise InvalidOrganisation(f"»{phone}« er ikke et telefonnummer.", "phone")
    if email and not _EMAIL.match(email):
        raise InvalidOrganisation(f"»{email}« er ikke en e-mailadresse.", "email")
    if the_kind is OrganisationKind.CRISIS_CENTRE and not location_protected:
        raise InvalidOrganisation("Et krisecenters adresse er altid beskyttet.",
                                  "location_protected")
    return OrganisationData(name, the_kind.value, the_sector.value, address, phone, email,
                            location_protected)


@dataclass(frozen=True)
class RowError:
    """Why one CSV row was refused (row 2 is the first after the header)."""

    row: int
    message: str


def parse_csv(data: bytes) -> tuple[list[OrganisationData], list[RowError]]:
    """Every row of a directory CSV, validated; with errors, nothing should be imported.

    Accepts UTF-8 with or without BOM and semicolons (Danish Excel) or commas; the header
    row names the columns (``COLUMNS``, any order, any case). Names repeated in the file
    are an error (which row wins would be a guess)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(1, "Filen er ikke UTF-8. Gem den som »CSV UTF-8 (semikolonsepareret)«.")]
    if not text.strip():
        return [], [RowError(1, "Filen er tom.")]
    first_line = text.splitlines()[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header = [h.strip().casefold() for h in next(reader)]
    missing = [c for c in ("navn", "type") if c not in header]
    if missing:
        return [], [RowError(1, "Overskriften mangler kolonnen " + " og ".join(f"»{c}«" for c in missing)
                             + ". Kolonnerne er: " + "; ".join(COLUMNS) + ".")]
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        return [], [RowError(1, "Ukendt kolonne " + ", ".join(f"»{h}«" for h in unknown)
                             + ". Kolonnerne er: " + "; ".join(COLUMNS) + ".")]
    result: list[OrganisationData] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if number > MAX_ROWS + 1:
            errors.append(RowError(number, f"Filen har mere end {MAX_ROWS} rækker."))
            break
        if len(row) > len(header):
            errors.append(RowError(number, f"Rækken har {len(row)} felter, overskriften {len(header)}."))
            continue
        cells = dict(zip(header, [c.strip() for c in row] + [""] * (len(header) - len(row)),
                         strict=True))
        protected = cells.get("beskyttet adresse", "").casefold()
        if protected not in _YES | _NO:
            errors.append(RowError(number, f"»beskyttet adresse« skal være ja eller nej, ikke »{protected}«."))
            continue
        try:
            org = organisation(cells.get("navn", ""), cells.get("type", ""), cells.get("sektor", ""),
                               cells.get("adresse", ""), cells.get("telefon", ""),
                               cells.get("e-mail", ""), protected in _YES)
        except InvalidOrganisation as refused:
            errors.append(RowError(number, refused.message))
            continue
        key = org.name.casefold()
        if key in seen:
            errors.append(RowError(number, f"»{org.name}« står også i række {seen[key]}."))
            continue
        seen[key] = number
        result.append(org)
    return result, errors


def to_csv(rows: Iterable[Mapping[str, object]]) -> bytes:
    """The directory as CSV for Danish Excel: UTF-8 with BOM, semicolons, CRLF."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        kind = OrganisationKind(str(row["kind"])) if str(row["kind"]) in _KINDS else None
        sector = Sector(str(row["sector"])) if str(row["sector"]) in _SECTORS else None
        writer.writerow([_cell(row["name"]), kind.label_da if kind else _cell(row["kind"]),
                         sector.label_da if sector else _cell(row["sector"]),
                         _cell(row["address"]), _cell(row["phone"]), _cell(row["email"]),
                         "ja" if row["location_protected"] else "nej"])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(value: object) -> str:
    """A cell Excel will not run as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


# ---------------------------------------------------------------- choosing from it

# A directory of more organisations than this is not offered whole in a form's list (a
# region's 4,100 made every organiser's page 300 KB, and nobody scrolls 4,100 names): the
# list then holds the organisations near the case, and the rest are searched.
LIST_LIMIT = 300
SEARCH_RESULTS = 30
SEARCH_MIN_LENGTH = 2


def is_large(size: int) -> bool:
    """Whether a directory of ``size`` organisations is searched rather than listed."""
    return size > LIST_LIMIT


def search(names: Iterable[tuple[int, str]], text: str, limit: int = SEARCH_RESULTS
           ) -> list[int]:
    """The ids of the organisations whose name holds every word of ``text``, in any case
    (»skole« finds »Nørre Skole«; the letters themselves must match: »norre« does not find
    »Nørre«), best first: names that start with the text, then names with a word that
    starts with it, then the rest, each by name. At most ``limit``; none for a text shorter
    than ``SEARCH_MIN_LENGTH``."""
    wanted = " ".join(text.casefold().split())
    if len(wanted) < SEARCH_MIN_LENGTH:
        return []
    words = wanted.split(" ")
    found: list[tuple[int, str, int]] = []
    for org_id, name in names:
        folded = name.casefold()
        if not all(word in folded for word in words):
            continue
        if folded.startswith(wanted):
            rank = 0
        elif f" {wanted}" in f" {' '.join(folded.split())}":
            rank = 1
        else:
            rank = 2
        found.append((rank, folded, org_id))
    found.sort()
    return [org_id for _, _, org_id in found[:limit]]


# ------------------------------------------------------------ the lists' option tags

def option_tags(labels: Iterable[tuple[int, str]], selected: int | None = None) -> Markup:
    """``<option>`` tags for (id, label) pairs, ``selected`` chosen; labels escaped."""
    return Markup("".join(  # noqa: S704 (each tag escaped by Markup.format)
        str(Markup('<option value="{}"{}>{}</option>').format(
            org_id, Markup(" selected") if org_id == selected else "", label))
        for org_id, label in labels))


def choose(tags: Markup, selected: int | None) -> Markup:
    """``option_tags`` output with the tag of ``selected`` (an id) chosen."""
    if not selected:
        return tags
    tag = f'<option value="{int(selected)}">'
    return Markup(str(tags).replace(  # noqa: S704 (escaped tags, one attribute added)
        tag, f'<option value="{int(selected)}" selected>', 1))


def listed_options(labels: Mapping[int, str], selected: int | None, near: Iterable[int]
                   ) -> tuple[Markup, Markup]:
    """A large directory's list (``templates/_org_search.html``), from the labels by id:
    the chosen organisation's tag when it is not among the ``near`` ones, and the near
    ones' tags by label."""
    wanted = sorted({i for i in near if i in labels}, key=lambda i: (labels[i].casefold(), i))
    chosen = [(selected, labels[selected])] if selected is not None and selected in labels \
        and selected not in wanted else []
    return option_tags(chosen, selected), option_tags(((i, labels[i]) for i in wanted), selected)


@dataclass(frozen=True)
class Found:
    """What a search of a large directory answers: the tags of its list's search group
    (the chosen organisation first, kept chosen, then the matches not already listed as
    near), and a sentence saying how it went."""

    options: Markup
    status: str


def found_options(labels: Mapping[int, str], text: str, selected: int | None,
                  near: Iterable[int] = (),
                  searchable: Iterable[tuple[int, str]] | None = None) -> Found:
    """A search for ``text`` among the ``searchable`` (id, name) pairs (every label unless
    given: a reader may not find what she may not know by its name), the organisations the
    list already holds (``near``) left out."""
    listed = set(near)
    kept = selected if selected in labels and selected not in listed else None
    tags = option_tags([(kept, labels[kept])], kept) if kept is not None else Markup()
    typed = " ".join(text.split())
    if len(typed) < SEARCH_MIN_LENGTH:
        return Found(tags, "")
    matches = search(labels.items() if searchable is None else searchable, typed)
    ids = [i for i in matches if i != selected and i not in listed]
    if ids:
        count = "1 organisation" if len(ids) == 1 else f"{len(ids)} organisationer"
        more = " (de første)" if len(matches) >= SEARCH_RESULTS else ""
        return Found(tags + option_tags((i, labels[i]) for i in ids),
                     f"{count}{more} fundet for »{typed[:100]}«, øverst i listen.")
    if matches:
        return Found(tags, f"Kun organisationer, der allerede står i listen, matcher »{typed[:100]}«.")
    return Found(tags, f"Ingen organisation matcher »{typed[:100]}«.")
