"""The application service: one verb per command, each loading, deciding and saving every touched
record in one transaction, and queries over the records and the log.

`core.py` holds the pipeline every command goes through; each other module holds one group of
commands as a class over it, and `AssessmentLedger` combines them.
"""

from __future__ import annotations

from ledger.application.annual import AnnualCommands
from ledger.application.bonus_sheets import BonusSheetCommands
from ledger.application.core import MAX_PAGE, Batch, HistoryItem, Outcome
from ledger.application.deductions import DeductionCommands
from ledger.application.objections import ObjectionCommands
from ledger.application.organisation import OrganisationCommands
from ledger.application.quarterly import QuarterlyCommands
from ledger.application.reference import ReferenceDataCommands
from ledger.application.rounds import RoundCommands
from ledger.application.staff import StaffCommands

__all__ = ["MAX_PAGE", "AssessmentLedger", "Batch", "HistoryItem", "Outcome"]


class AssessmentLedger(
    OrganisationCommands,
    StaffCommands,
    ReferenceDataCommands,
    DeductionCommands,
    ObjectionCommands,
    BonusSheetCommands,
    QuarterlyCommands,
    AnnualCommands,
    RoundCommands,
):
    """The ledger of one center: its records, the commands that change them, and their history."""

    # The library names an application after its class unless the class names itself; the name
    # prefixes the PostgreSQL tables.
    name = "ledger"
