"""The users' journeys of issue 8, steps 1-5, in a real browser on the demo data.

The steps build on each other like the users' day does: sara adds a teacher (step 1), invites
her to a familierådslagning planned with the keyboard alone (step 2), the teacher answers
from the mail (step 3). ``journey`` carries what one step leaves for the next; a step whose
predecessor did not run in this session skips and says which. Each step asserts on what the
user sees, axe-checks every page it reaches and leaves screenshots in
test-artifacts/screenshots/journey-*.png.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import pytest
from playwright.async_api import Page, expect

from coordinator.demo import SURNAMES
from coordinator.meetings import planner
from tests.browser.helpers import (
    SCREENSHOT_TIMEOUT_MS,
    SCREENSHOTS,
    axe_check,
    login,
    mails_to,
    shot,
    tab_to,
    text_part,
    type_datetime,
)

# Demo family 8 is sara's, at the crisis centre, with no familierådslagning (stage "missing":
# 8 % 8 == 0) and no BIC father assessment (variant 8 % 4 == 0): coordinator/meetings/demo.py.
FAMILY = f"Familien {SURNAMES[8]}"
GRANDMOTHER = "Bodil Havgaard"        # names of their own: the demo data never uses them
GRANDMOTHER_EMAIL = "bodil.havgaard@example.net"
TEACHER = "Tove Skærbæk"
TEACHER_EMAIL = "tove.skaerbaek@skole.example.org"
TEACHER_SCHOOL = "Fjordbakkeskolen"  # in the demo organisation directory
SAMORDNER = "Ida Demo Mørk"
SAMORDNER_EMAIL = "ida@samordner.example.org"
ANSWER_LINK = re.compile(r"https?://\S+/svar/[A-Za-z0-9_-]+")
POLL_WAIT_MS = 25_000  # the answers table polls every 10 s


@dataclass
class Journey:
    """What one step leaves for the next."""

    family_path: str | None = None
    meeting_path: str | None = None
    invite_mails: list | None = None


@pytest.fixture(scope="module")
def journey() -> Journey:
    return Journey()


def needs(value, step: str):
    """The earlier step's result, or skip: the steps run in order in one session."""
    if value is None:
        pytest.skip(f"needs {step} to have run first in this session (run the whole module)")
    return value


def next_working_day(after: date, days: int) -> date:
    """A weekday at least ``days`` after ``after`` that is not a Danish public holiday."""
    day = after + timedelta(days=days)
    while day.weekday() >= 5 or planner.closed_day_reason(day):
        day += timedelta(days=1)
    return day


def row_of(table, name: str):
    """The table row that is about ``name`` (its first cell starts with the name)."""
    return table.get_by_role("row", name=re.compile("^" + re.escape(name)))


async def open_family(page: Page, user: str = "sara") -> None:
    await login(page, user)
    await page.get_by_role("link", name=FAMILY, exact=True).click()
    await expect(page.get_by_role("heading", level=1, name=FAMILY)).to_be_visible()
    await axe_check(page)


# ------------------------------------------------------------------ step 1: intake


async def test_step1_sara_adds_a_grandmother_and_the_teacher_and_sees_them_on_the_map(page, journey):
    await open_family(page)
    journey_family = page.url.removeprefix(page.url.split("/families/")[0])
    await shot(page, "journey-1-family-before")

    await page.get_by_role("link", name="Intake: spørgsmål til familiens netværk").click()
    await expect(page.get_by_role("heading", level=1, name=f"Intake: {FAMILY}")).to_be_visible()
    await axe_check(page)

    private = page.locator("#q-private_network")
    await private.get_by_label("Navn (skal udfyldes)").fill(GRANDMOTHER)
    await private.get_by_label("Telefon").fill("70 10 44 01")
    await private.get_by_label("E-mail").fill(GRANDMOTHER_EMAIL)
    await private.get_by_label("Relation").select_option("grandmother_of")
    await private.get_by_label("Hvad hjælper personen med?").fill("Henter børnene om tirsdagen")
    await private.get_by_role("button", name="Tilføj til det private netværk").click()
    await expect(page.locator("#q-private_network").get_by_role("status")).to_contain_text(GRANDMOTHER)

    support = page.locator("#q-special_support")
    await support.get_by_label("Navn (skal udfyldes)").fill(TEACHER)
    await support.get_by_label("Stilling").fill("Klasselærer")
    await support.get_by_label("Organisation", exact=True).fill(TEACHER_SCHOOL)
    await support.get_by_label("E-mail").fill(TEACHER_EMAIL)
    await support.get_by_label("Relation").select_option("teacher_of")
    await support.get_by_role("button", name="Tilføj fagperson").click()
    await expect(page.locator("#q-special_support").get_by_role("status")).to_contain_text(TEACHER)
    await axe_check(page)
    await shot(page, "journey-1-intake-done")

    await page.get_by_role("link", name="Tilbage til familien").click()
    await expect(page.get_by_role("heading", level=1, name=FAMILY)).to_be_visible()
    ecomap = page.locator("figure.ecomap svg")
    await expect(ecomap).to_contain_text(GRANDMOTHER)
    await expect(ecomap).to_contain_text(TEACHER)
    people = page.get_by_role("table", name=re.compile("Personer i netværket"))
    await expect(row_of(people, GRANDMOTHER)).to_contain_text("bedstemor")
    await expect(row_of(people, TEACHER)).to_contain_text(TEACHER_SCHOOL)
    await axe_check(page)
    await shot(page, "journey-1-network-map")
    await ecomap.screenshot(path=str(SCREENSHOTS / "journey-1-map-only.png"), timeout=SCREENSHOT_TIMEOUT_MS)
    journey.family_path = journey_family


# ------------------------------------------------- step 2: familierådslagning, keyboard only


async def press(page: Page, key: str = "Enter") -> None:
    """Press a key that submits or follows a link, and wait for the next page."""
    async with page.expect_navigation():
        await page.keyboard.press(key)
    await axe_check(page)


async def press_in_place(page: Page, saved: str) -> None:
    """Press Enter on a form of the meeting page's workspace: the change is saved and its
    sections are swapped in place (no next page); wait for the status line to say so."""
    await page.evaluate("() => { document.getElementById('workspace-status').textContent = ''; }")
    await page.keyboard.press("Enter")
    await expect(page.locator("#workspace-status")).to_have_text(saved)
    await axe_check(page)


async def type_and_submit(page: Page, fields: dict[str, str], button: str) -> None:
    """Tab to each field (by id) and type its text, then Tab to the button and press Enter."""
    for field_id, value in fields.items():
        await tab_to(page, id=field_id)
        await page.keyboard.type(value)
    await tab_to(page, text=button)
    await press(page)


async def test_step2_sara_plans_a_familieraadslagning_with_the_keyboard_alone(page, journey, demo_smtp):
    family_path = needs(journey.family_path, "step 1 (the teacher in the network)")
    await login(page, "sara")
    await page.goto(family_path)
    await tab_to(page, text="Åbn familierådslagning")
    await press(page)
    await expect(page.get_by_role("heading", level=1, name=f"Familierådslagning – {FAMILY}")).to_be_visible()
    await shot(page, "journey-2-fgc-start")

    # 1. The assessment, together with the family.
    await tab_to(page, text="ja")
    await page.keyboard.press("Space")
    await type_and_submit(page, {"a-view": "Mor vil gerne have mormor og skolen med.",
                                 "a-reasons": "Der er et privat netværk, der vil hjælpe."},
                          "Gem vurdering")
    await expect(page.locator("#step-1")).to_contain_text("Mulig")

    # 2. The referral with the questions the family's plan must answer. The samordner and
    # the family's network read it: naming the crisis centre's street is refused where it
    # is typed, next to the form, and what was typed stays.
    questions = "Hvem henter børnene? Hvem kan mor ringe til om aftenen?"
    await type_and_submit(page, {
        "r-concern": "Børnene savner skolen, mens de bor på Lyngbakken.",
        "r-questions": questions}, "Gem henvisning")
    refusal = page.locator("#step-2 .form-refusal")
    await expect(refusal).to_contain_text("»Bekymring« nævner")
    # The message stands at the field it is about, which has the focus and says it is wrong.
    concern = page.locator("#r-concern")
    await expect(concern).to_be_focused()
    await expect(concern).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#r-questions")).to_have_value(questions)
    await axe_check(page)
    await shot(page, "journey-2-fgc-referral-refused")
    await tab_to(page, id="r-concern")
    await page.keyboard.press("Control+A")
    await page.keyboard.type("Bekymring for børnenes trivsel efter udflytning.")
    await tab_to(page, text="Gem henvisning")
    await press(page)
    await expect(page.locator("#step-2")).to_contain_text("Bekymring for børnenes trivsel")

    # 3. The independent samordner: a user with the narrow samordner role.
    await tab_to(page, id="c-user")
    await page.keyboard.type(SAMORDNER[:3])
    await expect(page.locator("#c-user option:checked")).to_have_text(re.compile(SAMORDNER))
    await tab_to(page, text="Gem samordner")
    await press(page)
    await expect(page.locator("#step-3")).to_contain_text(f"Samordner: {SAMORDNER}")
    await shot(page, "journey-2-fgc-samordner")

    # 4. The formøde with the family, held today: who took part and the family's yes to go
    # on. A familierådslagning is planned and sent only after that yes.
    await tab_to(page, id="fm-date")
    await type_datetime(page, datetime.combine(date.today(), time(12)))
    await tab_to(page, text="Gem formødets dato")
    await press(page)
    await expect(page.locator("#formoede")).to_contain_text("Formøde:")
    await tab_to(page, id="fo-people")
    await page.keyboard.type("Mor, børnene, mormor, samordneren og socialrådgiveren")
    await tab_to(page, text="yes")
    await page.keyboard.press("Space")
    await tab_to(page, text="Gem formødets udfald")
    await press(page)
    await expect(page.locator("#formoede-outcome")).to_contain_text("Familiens svar: Ja")
    await axe_check(page)
    await shot(page, "journey-2-fgc-formoede")

    # 5. The meeting in three parts: a first guess at the times, replaced from the suggestions.
    day = next_working_day(date.today(), 14)
    windows = {"information": (time(9), time(9, 45)), "family_time": (time(9, 45), time(11, 45)),
               "plan": (time(11, 45), time(12, 30))}
    await tab_to(page, id="f-location")
    await page.keyboard.type("Medborgerhuset, lille sal")
    for key, (start, end) in windows.items():
        await tab_to(page, id=f"f-{key}-start")
        await type_datetime(page, datetime.combine(day, start))
        await tab_to(page, id=f"f-{key}-end")
        await type_datetime(page, datetime.combine(day, end))
    await shot(page, "journey-2-fgc-three-parts")
    await tab_to(page, text="Opret mødet")
    await press(page)
    await expect(page.get_by_role("heading", level=1, name=f"Familierådslagning – {FAMILY}")).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("Kladde")
    meeting_path = page.url.removeprefix(page.url.split("/meetings/")[0])

    # A time from the suggestions.
    await tab_to(page, text="Find tidspunkter")
    await page.keyboard.press("Enter")
    await expect(page.get_by_role("heading", name="Forslag til tidspunkter")).to_be_focused()
    first_slot = page.locator("#slots .slot-list li").first
    await expect(first_slot).to_be_visible()
    await axe_check(page)
    await shot(page, "journey-2-slot-suggestions")
    chosen = (await first_slot.locator("strong").inner_text()).split(" – ")[0]
    picked = await tab_to(page, text=re.compile("^Vælg dette tidspunkt"))
    assert chosen in picked["text"], "each choice names its time for screen readers"
    await press_in_place(page, "Tidspunktet er gemt.")
    parts = page.get_by_role("table", name="Mødets dele og deltagere")
    await expect(row_of(parts, "Informationsdel")).to_contain_text(chosen)

    # The people: the teacher from step 1 for the information part, the grandmother for all.
    for name in (TEACHER, GRANDMOTHER):
        await tab_to(page, text=f"Inviter {name}")
        await press_in_place(page, "Deltagerne er opdateret.")
    invited = page.get_by_role("table", name="Deltagere og svar")
    for name in (TEACHER, GRANDMOTHER, SAMORDNER):
        await expect(row_of(invited, name)).to_be_visible()
    await expect(row_of(invited, TEACHER)).to_contain_text("Informationsdel")
    await shot(page, "journey-2-participants")

    # Plan, then send the invites.
    await tab_to(page, text="Planlæg mødet")
    await press_in_place(page, "Mødets status er opdateret.")
    await expect(page.locator(".facts")).to_contain_text("Planlagt")
    await tab_to(page, text="Send invitationer")
    await press_in_place(page, "Mødets status er opdateret.")
    await expect(page.locator(".facts")).to_contain_text("Inviteret")
    await shot(page, "journey-2-invited")

    mails = await mails_to(demo_smtp, TEACHER_EMAIL)
    await mails_to(demo_smtp, GRANDMOTHER_EMAIL)
    await mails_to(demo_smtp, SAMORDNER_EMAIL)
    answers = page.get_by_role("table", name="Deltagernes svar og invitationernes levering")
    await expect(row_of(answers, TEACHER)).to_contain_text(
        "Sendt", timeout=POLL_WAIT_MS)
    await shot(page, "journey-2-invites-sent")
    journey.meeting_path, journey.invite_mails = meeting_path, mails


# ------------------------------------------------------ step 3: the teacher answers by mail


async def test_step3_the_teacher_accepts_from_the_mail_and_sara_sees_it_without_a_reload(
        open_page, journey):
    meeting_path = needs(journey.meeting_path, "step 2 (the invites)")
    [link] = {m for mail in needs(journey.invite_mails, "step 2 (the invites)")
              for m in ANSWER_LINK.findall(text_part(mail.message))}

    sara = await open_page()
    await login(sara, "sara")
    await sara.goto(meeting_path)
    answers = sara.get_by_role("table", name="Deltagernes svar og invitationernes levering")
    answer = row_of(answers, TEACHER).get_by_role("cell").first
    await expect(answer).to_have_text("Ikke svaret")
    await axe_check(sara)
    await sara.evaluate("() => { window.journeyMarker = 'no reload since here'; }")

    teacher = await open_page()  # no account: the personal link is the key
    response = await teacher.goto(link)
    assert response is not None and response.status == 200
    await expect(teacher.get_by_role("heading", level=1)).to_contain_text("Familierådslagning")
    await axe_check(teacher)
    await shot(teacher, "journey-3-answer-page")
    await teacher.get_by_label("Jeg deltager").check()
    await teacher.get_by_label("Kommentar").fill("Jeg kommer til informationsdelen.")
    await teacher.get_by_role("button", name="Send svar").click()
    await expect(teacher.get_by_role("status").filter(has_text="Tak.")).to_have_text(
        "Tak. Dit svar er gemt: Deltager.")
    await axe_check(teacher)
    await shot(teacher, "journey-3-answer-saved")

    await expect(answer).to_have_text(re.compile(r"^Deltager \(.+\)$"), timeout=POLL_WAIT_MS)
    await expect(row_of(answers, TEACHER)).to_contain_text("Jeg kommer til informationsdelen.")
    assert await sara.evaluate("() => window.journeyMarker") == "no reload since here"
    await axe_check(sara)
    await shot(sara, "journey-3-sara-sees-the-answer")


# ------------------------------------------------------------ step 4: Barnet i Centrum


async def test_step4_sara_assesses_and_refers_the_father_and_mads_finds_him(open_page):
    sara = await open_page()
    await open_family(sara)
    await sara.get_by_role("link", name="Åbn Barnet i Centrum").click()
    await expect(sara.get_by_role("heading", level=1, name=f"Barnet i Centrum – {FAMILY}")).to_be_visible()
    await axe_check(sara)

    father_choice = sara.get_by_label("Far i netværket")
    father = (await father_choice.locator("option").nth(1).inner_text()).strip()
    await father_choice.select_option(label=father)
    await sara.get_by_role("radio", name="Ja").check()
    await sara.get_by_label("Begrundelse").fill("Far ønsker kontakt med børnene og vil have rådgivning.")
    await sara.get_by_role("button", name="Gem vurdering").click()
    await expect(sara.locator("#assessment")).to_contain_text(f"Far inddrages ({father})")
    # Nobody may contact the father before the mother agreed: no referral yet.
    await expect(sara.get_by_text("Der må ikke tages kontakt til far, før mors samtykke er registreret.")).to_be_visible()
    await expect(sara.get_by_role("button", name="Henvis")).to_have_count(0)
    await axe_check(sara)
    await shot(sara, "journey-4-bic-needs-agreement")

    await sara.get_by_label("Mor har givet samtykke til, at far kontaktes").check()
    await sara.get_by_role("button", name="Registrér samtykke").click()
    await expect(sara.locator("#agreement")).to_contain_text("Mor gav samtykke")
    await sara.get_by_label("Kontaktperson", exact=True).select_option(label="Mads Demo Frederiksen, Familieafdelingen, Modtagelsen")
    await sara.get_by_role("button", name="Henvis").click()
    await expect(sara.locator("#referral")).to_contain_text("til Mads Demo Frederiksen")
    await axe_check(sara)
    await shot(sara, "journey-4-bic-referred")

    mads = await open_page()
    await login(mads, "mads")
    await mads.get_by_role("link", name="Mine BIC-fædre").click()
    await expect(mads.get_by_role("heading", level=1, name="Mine BIC-fædre")).to_be_visible()
    fathers = mads.get_by_role("table", name="Henviste fædre")
    await expect(row_of(fathers, FAMILY)).to_contain_text(father)
    await axe_check(mads)
    await shot(mads, "journey-4-mads-finds-the-father")


# ---------------------------------------------------------- step 5: the leader's overview


async def test_step5_lene_finds_the_success_criteria_and_an_overdue_agreement(page):
    await login(page, "lene")
    await page.get_by_role("link", name="Succeskriterier").click()
    await expect(page.get_by_role("heading", level=1, name="Succeskriterier")).to_be_visible()
    criteria = page.get_by_role("table", name="Succeskriterierne som tal")
    await expect(criteria.get_by_role("row")).to_have_count(4)  # header + three criteria
    shares = page.get_by_role("figure", name="Andel af de aktuelle familier")
    await expect(shares.get_by_role("img")).to_be_visible()
    await expect(page.locator("#agreements-overdue")).to_have_text(re.compile(r"^[1-9]\d*$"))
    await axe_check(page)
    await shot(page, "journey-5-success-criteria")

    await page.get_by_role("link", name="Samarbejdsaftaler").click()
    await page.get_by_role("link", name="Aftaler der skal evalueres eller fornyes").click()
    await expect(page.get_by_role("heading", level=1, name="Aftaler til evaluering og fornyelse")).to_be_visible()
    due = page.get_by_role("table", name="Forfaldne evalueringer og fornyelser")
    overdue = due.get_by_role("row").filter(
        has=page.get_by_text(re.compile(r"^Overskredet med \d+ dage$"))).filter(
        has=page.get_by_role("button", name=re.compile("^Planlæg evalueringsmøde"))).first
    await expect(overdue).to_be_visible()
    title = (await overdue.get_by_role("rowheader").inner_text()).strip()
    partner = (await overdue.get_by_role("cell").first.inner_text()).strip()
    await axe_check(page)
    await shot(page, "journey-5-agreements-due")

    await overdue.get_by_role("button", name=f"Planlæg evalueringsmøde for {title}").click()
    await expect(page.get_by_role("heading", level=1, name=f"Evaluering: {title}")).to_be_visible()
    await expect(page.locator(".facts")).to_contain_text("Kladde")
    await expect(page.locator(".facts")).to_contain_text("Ingen – møde mellem organisationer")
    invited = page.get_by_role("table", name="Deltagere og svar")
    await expect(row_of(invited, "Lene Demo Thorsen")).to_be_visible()
    await expect(invited).to_contain_text(partner)  # the partner's contact person is invited
    await expect(page.get_by_role("button", name="Find tidspunkter")).to_be_visible()
    await axe_check(page)
    await shot(page, "journey-5-evaluation-meeting")
