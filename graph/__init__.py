"""KomInn's graph layer: domain types, the GraphStore protocol and its adapters.

Nothing here does I/O at import time; stores open their files or connections in named methods.
"""

from graph.errors import (
    KomInnError,
    NotFoundError,
    StoreUnavailableError,
    ValidationError,
)
from graph.schema import Edge, Label, Node, Rel

__all__ = [
    "Edge",
    "KomInnError",
    "Label",
    "Node",
    "NotFoundError",
    "Rel",
    "StoreUnavailableError",
    "ValidationError",
]
