"""The sections of the family page, contributed by each domain.

The family page shows one section per domain (network, meetings, agreements …). Each
domain offers a loader that returns the context for its partial template; the family
route calls them in order. Loaders receive the already-authorised family row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from coordinator.agreements.service import family_section as agreements_section
from coordinator.auth.policy import Principal
from coordinator.gdpr.service import family_section as gdpr_section
from coordinator.meetings.flows import family_section as meetings_section
from coordinator.method.service import family_section as method_section
from coordinator.network.service import family_section as network_section
from coordinator.trappe.service import family_section as trappe_section

Loader = Callable[[Principal, dict], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class FamilySection:
    """One block on the family page."""

    key: str
    template: str
    load: Loader
    # Reads nothing of the family but its network (``revisions.NETWORK``) and the shared
    # data: kept under the network stamp, so the family page's other changes reuse it
    # (``tests/network/test_editor_cache.py`` checks what it reads).
    network_only: bool = False


# The sections in page order. Every table a section reads is watched by the content
# stamps (``families/revisions.py``), so the family page cache sees its changes.
SECTIONS: tuple[FamilySection, ...] = (
    FamilySection("network", "network/_section.html", network_section, network_only=True),
    FamilySection("meetings", "meetings/_family_section.html", meetings_section),
    FamilySection("trappe", "trappe/_family_section.html", trappe_section),
    FamilySection("method", "method/_family_section.html", method_section),
    FamilySection("agreements", "agreements/_family_section.html", agreements_section),
    FamilySection("gdpr", "gdpr/_family_section.html", gdpr_section),
)


def family_sections() -> list[FamilySection]:
    """The sections in page order."""
    return list(SECTIONS)
