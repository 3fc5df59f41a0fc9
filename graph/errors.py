"""The root exception of KomInn and its few specific subclasses.

Library code raises these; only ``service`` maps them to HTTP status codes.
"""

from __future__ import annotations

from dataclasses import dataclass


class KomInnError(Exception):
    """Root of every error KomInn raises on purpose."""


class NotFoundError(KomInnError):
    """An id that the store does not hold."""


class ConflictError(KomInnError):
    """A change the stored graph does not allow as it stands, such as deleting an item others still link to."""


class StoreUnavailableError(KomInnError):
    """The graph store cannot be reached or opened (server down, wrong password, locked file)."""


class ConfigurationError(KomInnError):
    """Settings that cannot work together, such as a model of another dimension than the store's."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input: where it is and what is wrong."""

    file: str
    row: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.field:
            where += f", field '{self.field}'"
        return f"{where}: {self.message}"


class ValidationError(KomInnError):
    """Input that cannot be accepted; carries every problem found, each naming file, row and field."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{len(self.problems)} problem(s) in the input:\n{shown}{more}")
