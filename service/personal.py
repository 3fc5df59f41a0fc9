"""A person's data: finding the items whose private ``contact`` names them (right of access), erasing them
(right to erasure), and deleting old ideas and old contact details by a retention rule (storage limitation).

Each job is planned first, from a scan of the store through the GraphStore protocol (``iter_nodes``, so any
store), and then applied item by item through :mod:`service.items`: an idea is deleted by ``delete_item``, which
records its tombstone and refuses an idea others still link to; a contact is removed by ``clear_contact``,
which changes that property only. A plan also says which ideas will be left and why, by ``delete_item``'s own
rule (``why_not_deletable``), so that a dry run shows what the real run will do; the real run still asks
``delete_item`` for each idea, so a link made after planning leaves that idea as well. 'Today' is a parameter,
so that a plan is the same in every test.

>>> parse_days("365d", "--ideas-older-than")
365
>>> parse_statuses("declined, merged", "--status")
('declined', 'merged')
>>> needle("  Kari   NORDMANN ")
'kari nordmann'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from graph.erased import record_erased_contact
from graph.errors import ConflictError, NotFoundError
from graph.schema import FIELDS, IDEA_STATUS, Label, Node
from graph.store import GraphStore
from graph.text import not_text, without_controls
from service.items import Linked, StillLinkedError, clear_contact, delete_item, why_not_deletable

MIN_TEXT = 3  # a shorter search text could match (and erase) nearly everyone
MAX_MATCHES = 1_000  # items one person search returns; erasing refuses a text that matches more
MAX_DAYS = 36_500
MAX_RETENTION = 10_000  # changes one retention run makes at most; the rest wait for the next run
DEFAULT_STATUSES = ("declined", "merged")

# The labels that have a private contact field (initiatives and ideas).
CONTACT_LABELS: tuple[Label, ...] = tuple(
    label for label, specs in FIELDS.items() if any(s.name == "contact" and s.private for s in specs)
)


def parse_days(text: str, option: str) -> int:
    """A number of days written as ``365d`` (positive, at most 36500); ValueError naming ``option`` otherwise.

    >>> parse_days("0d", "--x")
    Traceback (most recent call last):
    ValueError: --x: '0d' is not a number of days such as 365d (at least 1d, at most 36500d)
    """
    value = text.strip().lower()
    number = value[:-1]
    if value.endswith("d") and number.isascii() and number.isdigit() and 0 < int(number) <= MAX_DAYS:
        return int(number)
    raise ValueError(f"{option}: '{text}' is not a number of days such as 365d (at least 1d, at most {MAX_DAYS}d)")


def parse_statuses(text: str, option: str) -> tuple[str, ...]:
    """Idea statuses separated by commas, each one of ``IDEA_STATUS``; ValueError naming ``option`` otherwise."""
    wanted = tuple(dict.fromkeys(s.strip().lower() for s in text.split(",") if s.strip()))
    if not wanted:
        raise ValueError(f"{option}: name at least one idea status ({', '.join(IDEA_STATUS)})")
    wrong = [s for s in wanted if s not in IDEA_STATUS]
    if wrong:
        raise ValueError(f"{option}: {', '.join(map(repr, wrong))} is not an idea status; the statuses are "
                         f"{', '.join(IDEA_STATUS)}")
    return wanted


def needle(text: str) -> str:
    """A search text as it is compared: runs of whitespace as one space, trimmed, without case or control
    characters (stored contacts have none); ValueError when fewer than ``MIN_TEXT`` characters are left, or when
    the text holds a byte that is not UTF-8."""
    why = not_text(text)
    if why is not None:
        raise ValueError(f"the text {why}")
    value = " ".join(without_controls(text).split()).casefold()
    if len(value) < MIN_TEXT:
        raise ValueError(f"the text to look for must have at least {MIN_TEXT} characters (it has {len(value)}), "
                         "so that it cannot match everyone's contact details")
    return value


def _as_date(value: Any) -> dt.date | None:
    """A stored ``created`` as a date (a datetime's date; ISO text read as a date), or None."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


@dataclass(frozen=True)
class Item:
    """An item that holds personal data, as it was when the job was planned."""

    label: Label
    id: str
    status: str | None
    created: dt.date | None
    title: str
    contact: str | None

    @classmethod
    def of(cls, node: Node) -> Item:
        contact = node.props.get("contact")
        status = node.props.get("status")
        return cls(node.label, node.id, None if status is None else str(status),
                   _as_date(node.props.get("created")) if node.label == Label.IDEA else None, node.title,
                   None if contact is None else str(contact))

    @property
    def kind(self) -> str:
        return self.label.value.lower()

    def as_dict(self) -> dict[str, Any]:
        return {"label": self.kind, "id": self.id, "status": self.status,
                "created": self.created.isoformat() if self.created else None, "title": self.title,
                "contact": self.contact}

    def line(self) -> str:
        """The item in one line: label, id, status, created, title and contact."""
        return (f"{self.kind:<10} {self.id}  {self.status or '-'}  {self.created or '-'}  {self.title}  "
                f"contact: {self.contact or '-'}")


@dataclass
class Found:
    """The items whose contact contains a text: at most ``MAX_MATCHES`` of them, and how many there are."""

    text: str
    items: list[Item]
    total: int

    @property
    def complete(self) -> bool:
        return len(self.items) == self.total

    def as_dict(self) -> dict[str, Any]:
        return {"text": self.text, "total": self.total, "items": [i.as_dict() for i in self.items]}


def find_person(store: GraphStore, text: str, limit: int = MAX_MATCHES) -> Found:
    """Every initiative and idea whose contact contains ``text`` (see :func:`needle`), by label and id; at most
    ``limit`` of them are kept, all are counted. Only ``contact`` is searched, never titles or texts."""
    wanted = needle(text)
    items: list[Item] = []
    total = 0
    for label in CONTACT_LABELS:
        for node in store.iter_nodes(label):
            contact = node.props.get("contact")
            if contact and wanted in " ".join(str(contact).split()).casefold():
                total += 1
                if len(items) < limit:
                    items.append(Item.of(node))
    items.sort(key=lambda i: (i.label.value, i.id))
    return Found(text.strip(), items, total)


LINKED = "linked from others: "
CHANGED = "changed meanwhile: "


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


@dataclass
class Done:
    """What applying a plan did, item by item."""

    deleted: list[Item] = field(default_factory=list)
    cleared: list[Item] = field(default_factory=list)
    left: list[tuple[Item, str]] = field(default_factory=list)  # with the reason
    gone: list[Item] = field(default_factory=list)  # deleted by someone else meanwhile

    @property
    def complete(self) -> bool:
        return not self.left

    def audit(self) -> dict[str, object]:
        """What the audit log keeps of it: the ids and the counts, never the contact details or the texts."""
        return {"deleted": len(self.deleted), "cleared": len(self.cleared), "left": len(self.left),
                # an idea whose contact was cleared and that was left (linked from others) is named once
                "items": list(dict.fromkeys(i.id for i in (*self.deleted, *self.cleared, *(i for i, _ in self.left))))}

    def summary(self, *, planned: bool = False) -> str:
        """``deleted 3 ideas, cleared contact on 5, left 1 (linked from others)``; for what a plan expects
        (``planned``), ``would delete 3 ideas, clear contact on 5, leave 1 (linked from others)``."""
        delete, clear, leave = ("would delete", "clear", "leave") if planned else ("deleted", "cleared", "left")
        line = (f"{delete} {_count(len(self.deleted), 'idea')}, {clear} contact on {len(self.cleared)}, "
                f"{leave} {len(self.left)}")
        linked = sum(1 for _, why in self.left if why.startswith(LINKED))
        changed = len(self.left) - linked
        if linked and not changed:
            line += " (linked from others)"
        elif changed and not linked:
            line += " (changed meanwhile)"
        elif self.left:
            line += f" ({linked} linked from others, {changed} changed meanwhile)"
        if self.gone:
            line += f", {len(self.gone)} already gone"
        return line


def apply(store: GraphStore, delete: Iterable[Item], clear: Iterable[Item],
          clear_if_left: frozenset[str] = frozenset()) -> Done:
    """Delete the ideas of ``delete`` and remove the contact of the items of ``clear``. An idea others link to is
    left with the reason; when an idea merged into it was deleted in the same run, it is tried again. An idea of
    ``clear_if_left`` that is left still loses its contact."""
    done = Done()
    pending = list(delete)
    refused: list[tuple[Item, str]] = []
    while pending:
        refused = []
        for item in pending:
            try:
                delete_item(store, item.label, item.id)
            except StillLinkedError as e:  # worded as a plan words it (see expect_left)
                refused.append((item, LINKED + e.linked.short()))
            except ConflictError as e:
                refused.append((item, LINKED + str(e)))
            except NotFoundError:
                done.gone.append(item)
            else:
                done.deleted.append(item)
        if len(refused) == len(pending):  # no progress: what is left stays left
            break
        pending = [item for item, _ in refused]
    done.left.extend(refused)
    to_clear = list(clear) + [item for item, _ in refused if item.id in clear_if_left and item.contact]
    for item in to_clear:
        assert item.contact is not None
        record_erased_contact(store, item.id, item.contact)  # ingesting the source again leaves it out
        if clear_contact(store, item.label, item.id, item.contact):
            done.cleared.append(item)
        else:
            done.left.append((item, CHANGED + "it is gone or its contact is another by now"))
    return done


def expect_left(store: GraphStore, delete: Iterable[Item]) -> dict[str, Linked]:
    """The ideas of ``delete`` that :func:`apply` will leave as the store stands, by id, each with the links that
    keep it: ``delete_item``'s rule (:func:`why_not_deletable`) for each, where a link from an idea that the same
    run deletes first does not count, as apply's retries find (an idea merged into another of the run's ideas
    goes first; a link from an idea that is itself left does keep it)."""
    ideas = list(delete)
    linked = {item.id: why for item in ideas if (why := why_not_deletable(store, item.id)) is not None}
    deleted = {item.id for item in ideas} - set(linked)
    progress = True
    while progress:
        progress = False
        for item_id in [i for i in linked if linked[i].without(deleted) is None]:
            deleted.add(item_id)
            del linked[item_id]
            progress = True
    return {item_id: rest for item_id, why in linked.items() if (rest := why.without(deleted)) is not None}


def expected(delete: Iterable[Item], clear: Iterable[Item], clear_if_left: frozenset[str],
             left: dict[str, Linked]) -> Done:
    """What :func:`apply` will report for these arguments when nothing changes meanwhile, from the ideas a plan
    expects to be left (:func:`expect_left`): the same items in each list, with the same reasons (apply deletes an
    idea merged into another before the other, so its ``deleted`` may be in another order)."""
    done = Done()
    leaving = [item for item in delete if item.id in left]
    done.deleted.extend(item for item in delete if item.id not in left)
    done.left.extend((item, LINKED + left[item.id].short()) for item in leaving)
    done.cleared.extend([*clear, *(i for i in leaving if i.id in clear_if_left and i.contact)])
    return done


@dataclass
class ErasePlan:
    """Erasing a person: their ideas are deleted, their contact on initiatives is removed."""

    found: Found
    left: dict[str, Linked] = field(default_factory=dict)  # ideas that will be left, with what links to them

    @property
    def delete(self) -> list[Item]:
        """The ideas the erasure deletes, or tries to (those in ``left`` will be left)."""
        return [i for i in self.found.items if i.label == Label.IDEA]

    @property
    def clear(self) -> list[Item]:
        return [i for i in self.found.items if i.label != Label.IDEA]

    @property
    def clear_if_left(self) -> frozenset[str]:
        """An idea of the person's that is left still loses their contact."""
        return frozenset(i.id for i in self.delete)

    def expected(self) -> Done:
        """What :func:`erase_person` will report if nothing changes meanwhile."""
        return expected(self.delete, self.clear, self.clear_if_left, self.left)


def plan_erase(store: GraphStore, text: str) -> ErasePlan:
    """The items :func:`find_person` finds, as an erasure; ValueError when more than ``MAX_MATCHES`` match (a text
    that broad is not one person's)."""
    found = find_person(store, text)
    if not found.complete:
        raise ValueError(f"{found.total} items have contact details containing '{found.text}', more than the "
                         f"{MAX_MATCHES} one erasure handles; give a text that names only the person")
    plan = ErasePlan(found)
    plan.left = expect_left(store, plan.delete)
    return plan


def erase_person(store: GraphStore, plan: ErasePlan) -> Done:
    """Apply an erasure: delete the person's ideas (tombstoned, so ingest does not bring them back) and remove the
    contact from initiatives, which stay (they are the municipality's record). An idea that has to be left (others
    link to it) still loses the person's contact."""
    return apply(store, plan.delete, plan.clear, plan.clear_if_left)


@dataclass
class RetentionPlan:
    """What a retention rule finds due on a day."""

    today: dt.date
    delete_before: dt.date  # ideas created before this day, with one of ``statuses``, are deleted
    statuses: tuple[str, ...]
    clear_before: dt.date | None  # ideas created before this day lose their contact
    delete: list[Item] = field(default_factory=list)
    clear: list[Item] = field(default_factory=list)
    clear_if_left: frozenset[str] = frozenset()  # ideas to delete that are also due to lose their contact
    undated: int = 0  # ideas the rule would consider that have no created date
    more_due: int = 0  # changes due beyond ``MAX_RETENTION``, for the next run
    left: dict[str, Linked] = field(default_factory=dict)  # ideas of ``delete`` that will be left, and why

    def expected(self) -> Done:
        """What :func:`apply_retention` will report if nothing changes meanwhile."""
        return expected(self.delete, self.clear, self.clear_if_left, self.left)


def plan_retention(store: GraphStore, *, older_than_days: int, statuses: Iterable[str] = DEFAULT_STATUSES,
                   clear_contact_days: int | None = None, today: dt.date | None = None,
                   limit: int = MAX_RETENTION) -> RetentionPlan:
    """Ideas created more than ``older_than_days`` before ``today`` whose status is one of ``statuses`` are to be
    deleted; with ``clear_contact_days``, the contact of ideas of any status created longer ago than that is to be
    removed. An idea without a created date is never due (it is counted in ``undated``). At most ``limit``
    changes are planned, oldest ideas first; ``more_due`` counts the rest. ``left`` names the due ideas that
    others link to, which the run will leave."""
    today = today or dt.date.today()
    wanted = tuple(statuses)
    plan = RetentionPlan(today, today - dt.timedelta(days=older_than_days), wanted,
                         None if clear_contact_days is None else today - dt.timedelta(days=clear_contact_days))
    delete: list[Item] = []
    clear: list[Item] = []
    also: set[str] = set()
    for node in store.iter_nodes(Label.IDEA):
        item = Item.of(node)
        status_due = item.status in wanted
        contact_rule = plan.clear_before is not None and bool(item.contact)
        if item.created is None:
            plan.undated += int(status_due or contact_rule)
            continue
        contact_due = contact_rule and plan.clear_before is not None and item.created < plan.clear_before
        if status_due and item.created < plan.delete_before:
            delete.append(item)
            if contact_due:
                also.add(item.id)
        elif contact_due:
            clear.append(item)
    due = [(item, False) for item in delete] + [(item, True) for item in clear]
    by_age = sorted(due, key=lambda d: (d[0].created or dt.date.min, d[1], d[0].id))
    for item, clearing in by_age[:limit]:
        (plan.clear if clearing else plan.delete).append(item)
    plan.more_due = max(0, len(by_age) - limit)
    kept = {i.id for i in plan.delete}
    plan.clear_if_left = frozenset(also & kept)
    plan.left = expect_left(store, plan.delete)
    return plan


def apply_retention(store: GraphStore, plan: RetentionPlan) -> Done:
    """Carry out a retention plan: delete the due ideas (a deletion refused because others link to the idea
    leaves it, and removes its contact when that is due as well), then remove the due contacts."""
    return apply(store, plan.delete, plan.clear, plan.clear_if_left)
