"""Reading the network's forms into validated inputs (Danish `web.UserError` on bad input).

No database: the service checks what needs the database (duplicates, same family).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from coordinator import clock, web
from coordinator.network.service import PersonInput, RelationInput
from coordinator.network.validation import (
    ANSWERS,
    S50_STATUSES,
    InvalidInput,
    normalise_email,
    normalise_phone,
    refuse_cpr,
)
from coordinator.network.vocab import (
    ORGANISATION_KINDS,
    PERSON_ROLE_LABELS,
    RELATION_TYPES,
    SECTOR_LABELS,
    NodeKind,
    Tie,
)

ROLE_CHOICES = {r.value: label for r, label in PERSON_ROLE_LABELS.items()}
SECTOR_CHOICES = {s.value: label for s, label in SECTOR_LABELS.items()}
KIND_CHOICES = {k.value: info.label_da for k, info in ORGANISATION_KINDS.items()}
PERSON_RELATIONS = {k: rt.label_da for k, rt in RELATION_TYPES.items()
                    if rt.target_kind is NodeKind.PERSON}
PROFESSIONAL_RELATIONS = {k: rt.label_da for k, rt in RELATION_TYPES.items()
                          if rt.tie is Tie.PROFESSIONAL and rt.target_kind is NodeKind.PERSON
                          and k != "knows"}
PRIVATE_RELATIONS = {k: rt.label_da for k, rt in RELATION_TYPES.items()
                     if rt.tie is not Tie.PROFESSIONAL and k not in
                     ("mother_of", "father_of", "parent_of", "sibling_of")}


def _checked(value: str, label: str, field: str) -> str:
    try:
        return refuse_cpr(value, label, field)
    except InvalidInput as exc:
        raise web.UserError(exc.message, field=field) from None


def free_text(form: Mapping[str, Any], name: str, label: str, *, required: bool = False,
              max_length: int = 500) -> str:
    """A trimmed text field that must not carry a CPR number."""
    return _checked(web.text(form, name, label, required=required, max_length=max_length),
                    label, name)


def phone(form: Mapping[str, Any], name: str = "phone") -> str:
    """A phone number, normalised to '+45 70 10 20 30'; empty allowed."""
    try:
        return normalise_phone(web.text(form, name, "Telefon", max_length=40), name)
    except InvalidInput as exc:
        raise web.UserError(exc.message, field=name) from None


def email(form: Mapping[str, Any], name: str = "email") -> str:
    """An e-mail address; empty allowed."""
    try:
        return normalise_email(web.text(form, name, "E-mail", max_length=254), name)
    except InvalidInput as exc:
        raise web.UserError(exc.message, field=name) from None


def person_input(form: Mapping[str, Any], *, role: str | None = None,
                 professional: bool | None = None) -> PersonInput:
    """A person from the add/edit form; ``role``/``professional`` fix what the form does not ask."""
    this_year = clock.today().year
    chosen_role = role or web.choice(form, "role", "Rolle", ROLE_CHOICES)
    is_professional = professional if professional is not None else (
        web.checkbox(form, "is_professional") or chosen_role == "professional")
    return PersonInput(
        name=free_text(form, "name", "Navn", required=True, max_length=200),
        role=chosen_role,
        is_professional=is_professional,
        sector=web.choice(form, "sector", "Sektor", SECTOR_CHOICES, required=False),
        title=free_text(form, "title", "Stilling", max_length=120),
        phone=phone(form),
        email=email(form),
        birth_year=web.integer(form, "birth_year", "Fødselsår", required=False,
                               minimum=1900, maximum=this_year),
        protected_address=web.checkbox(form, "protected_address"),
        used_violence=web.checkbox(form, "used_violence"),
        contact_only_via_worker=web.checkbox(form, "contact_only_via_worker"),
        notes=free_text(form, "notes", "Noter", max_length=2000),
        organisation_name=free_text(form, "organisation", "Organisation", max_length=200),
        organisation_kind=web.choice(form, "organisation_kind", "Slags organisation",
                                     KIND_CHOICES, required=False),
    )


def relation_type_key(form: Mapping[str, Any], name: str = "type") -> str:
    """The relation type key as sent; unknown keys are refused by the service in Danish."""
    return web.text(form, name, "Relation", required=True, max_length=64)


def optional_id(form: Mapping[str, Any], name: str, label: str) -> int | None:
    """A row id from a select; empty means none."""
    return web.integer(form, name, label, required=False, minimum=1)


def version(form: Mapping[str, Any]) -> int:
    """The version the user saw (hidden field)."""
    value = web.integer(form, "version", "Sidens udgave", required=True, minimum=0)
    assert value is not None
    return value


def ids(values: list[str], label: str) -> list[int]:
    """Ids from a multi-value field (checkboxes); malformed ones are a Danish error."""
    result = []
    for raw in values:
        raw = (raw or "").strip()
        if not raw.isdigit() or len(raw) > 12:
            raise web.UserError(f"Ugyldigt valg i »{label}«.", field="target")
        result.append(int(raw))
    return list(dict.fromkeys(result))


def relations_to(targets: list[int], type_: str, note: str) -> list[RelationInput]:
    """One relation from the new person to each chosen target."""
    return [RelationInput(type=type_, target_person_id=t, note=note) for t in targets]


def answer(form: Mapping[str, Any], name: str, label: str) -> str:
    """A yes/no/don't-know answer (empty = not answered)."""
    return web.choice(form, name, label, ANSWERS, required=False)


def s50_status(form: Mapping[str, Any]) -> str:
    """The § 50 investigation status (empty = not answered)."""
    return web.choice(form, "s50_status", "Status for § 50-undersøgelsen", S50_STATUSES,
                      required=False)
