"""The sections of the family page, contributed by each domain.

The family page shows one section per domain (network, meetings, agreements …). Each
domain offers a loader that returns the context for its partial template; the family
route calls them in order. Loaders receive the already-authorised family row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from coordinator.auth.policy import Principal

Loader = Callable[[Principal, dict], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class FamilySection:
    """One block on the family page."""

    key: str
    template: str
    load: Loader


def family_sections() -> list[FamilySection]:
    """The sections in page order. Imported lazily so domains can depend on families."""
    sections: list[FamilySection] = []
    from coordinator.network.service import family_section as network_section
    sections.append(FamilySection("network", "network/_section.html", network_section))
    from coordinator.meetings.flows import family_section as meetings_section
    sections.append(FamilySection("meetings", "meetings/_family_section.html", meetings_section))
    from coordinator.agreements.service import family_section as agreements_section
    sections.append(FamilySection("agreements", "agreements/_family_section.html",
                                  agreements_section))
    from coordinator.gdpr.service import family_section as gdpr_section
    sections.append(FamilySection("gdpr", "gdpr/_family_section.html", gdpr_section))
    return sections
