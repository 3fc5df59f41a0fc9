"""``kominn person find|erase`` and ``kominn retention``: a person's data, and deleting what is kept too long.

The work is in :mod:`service.personal`; these commands read the options, print and choose the exit code.
"""

from __future__ import annotations

import datetime as dt
import json
import shlex
from pathlib import Path
from typing import Annotated

import typer

from graph.schema import Label
from service.cli_help import App
from service.personal import DEFAULT_STATUSES, LINKED, MAX_MATCHES, Done, Item

SHOWN = 100  # items a retention run lists of each kind; its summary counts them all

person_app = App(help="A person's data (right of access and erasure): the items whose private contact "
                         "details contain a text.", no_args_is_help=True, rich_markup_mode=None)

DataDir = Annotated[Path | None, typer.Option("--data-dir", metavar="DIR",
                                              help="Where the embedded store lives (default: KOMINN_DATA_DIR)")]
Text = Annotated[str, typer.Argument(metavar="TEXT", help="Part of the person's contact details: a name, e-mail "
                                     "address or phone number (at least 3 characters; case does not matter)")]


def _needle_or_fail(text: str) -> None:
    from service.cli import _fail
    from service.personal import needle

    try:
        needle(text)
    except ValueError as e:
        raise _fail(f"TEXT: {e}", 2) from None


@person_app.command("find")
def person_find(
    text: Text,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as one JSON object")] = False,
    data_dir: DataDir = None,
) -> None:
    """List every initiative and idea whose contact details contain TEXT: label, id, status, created, title and
    the contact itself (for a right-of-access request). Only contact details are searched."""
    from service.cli import _settings, opened_store
    from service.personal import find_person

    _needle_or_fail(text)
    with opened_store(_settings(data_dir)) as store:
        found = find_person(store, text)
    if as_json:
        typer.echo(json.dumps(found.as_dict(), ensure_ascii=False, indent=1))
        return
    if not found.total:
        typer.echo(f"no item has contact details containing '{found.text}'")
        return
    typer.echo(f"{_items(found.total)} with contact details containing '{found.text}':")
    for item in found.items:
        typer.echo(item.line())
    if not found.complete:
        typer.echo(f"(the first {len(found.items)} of {found.total} are listed; give a longer text)")


def _items(n: int) -> str:
    return f"{n} item" + ("" if n == 1 else "s")


def _what(item: Item) -> str:
    created = f"  {item.created}" if item.created else ""
    return f"{item.kind} {item.id}  {item.status or '-'}{created}  {item.title}"


def _will_be_left(expected: Done, shown: int, contact: bool) -> None:
    """The ideas a plan expects to leave: why, and what still happens to them (at most ``shown``)."""
    cleared = {i.id for i in expected.cleared}
    for item, why in expected.left[:shown]:
        shown_contact = f" ({item.contact})" if contact else ""
        still = f"its contact{shown_contact} will still be cleared" if item.id in cleared else "nothing on it changes"
        typer.echo(f"will be left: {_what(item)}: {why.removeprefix(LINKED)}; {still}")


@person_app.command("erase")
def person_erase(
    text: Text,
    yes: Annotated[bool, typer.Option("--yes", help="Do it; without --yes nothing is changed, and what would "
                                      "be done is listed")] = False,
    several: Annotated[bool, typer.Option("--several", help="Also when TEXT matches different contact details "
                                          "(without it, --yes then stops and lists them)")] = False,
    data_dir: DataDir = None,
) -> None:
    """Erase a person: delete their ideas (remembered as erased, so that ingesting the file again does not
    bring them back) and remove their contact details from initiatives, which stay. An idea that other items
    link to (such as an idea merged into it) is left, with the reason, without the contact; the list without
    --yes already names these ideas as "will be left", with the items that link to them.

    Exit code: 0 when everything was done, and without --yes (the list says what would be left); 3 when some
    items were left; 2 for a text shorter than 3 characters, one that matches more than 1000 items, or one
    that matches different contact details without --several (a text such as "example.no" matches many
    people).
    """
    from service.cli import _fail, _settings, audit, opened_store
    from service.personal import erase_person, plan_erase

    _needle_or_fail(text)
    settings = _settings(data_dir)
    with opened_store(settings) as store:
        try:
            plan = plan_erase(store, text)
        except ValueError as e:
            raise _fail(f"TEXT: {e}", 2) from None
        if not plan.found.total:
            typer.echo(f"no item has contact details containing '{plan.found.text}'; nothing to erase")
            return
        contacts = sorted({" ".join((i.contact or "").split()).casefold()
                           for i in (*plan.delete, *plan.clear)})
        if yes and len(contacts) > 1 and not several:
            typer.echo(f"'{plan.found.text}' matches {len(contacts)} different contact details:")
            for contact in contacts[:SHOWN]:
                typer.echo(f"  {contact}")
            raise _fail("Nothing was changed: give the contact of one person, or add --several if all of these "
                        "are the same person", 2)
        if not yes:
            expected = plan.expected()
            for item in expected.deleted:
                typer.echo(f"would delete {_what(item)}  contact: {item.contact}")
            for item in plan.clear:
                typer.echo(f"would clear the contact of {_what(item)}  contact: {item.contact}")
            _will_be_left(expected, MAX_MATCHES, contact=True)
            command = f"kominn person erase {shlex.quote(text)} --yes"
            if len(contacts) > 1:  # --yes alone would stop and list them: say so before it is run
                typer.echo(f"'{plan.found.text}' matches {len(contacts)} different contact details; check that they "
                           "are all the same person's, or give one person's contact")
                command += " --several"
            typer.echo(f"Nothing was changed. With --yes this {expected.summary(planned=True)}; to do it, run: "
                       f"{command}")
            return
        done = erase_person(store, plan)
    audit(settings, "person erase", **done.audit())  # ids only, not the text
    _print_done(done, shown=MAX_MATCHES)
    if done.cleared and any(i.label != Label.IDEA for i in done.cleared):
        typer.echo("Take the contact details out of the source files as well (ingesting them again leaves these "
                   "contacts out, with a warning for each).")
    typer.echo(f"erased: {done.summary()}")
    if not done.complete:
        raise typer.Exit(3)


def _print_done(done: Done, shown: int) -> None:
    """What was done, item by item (at most ``shown`` of each kind)."""
    def lines(what: str, rows: list[str]) -> None:
        for row in rows[:shown]:
            typer.echo(f"{what} {row}")
        if len(rows) > shown:
            typer.echo(f"... and {len(rows) - shown} more {what}")

    lines("deleted", [_what(i) for i in done.deleted])
    lines("cleared the contact of", [_what(i) for i in done.cleared])
    lines("left", [f"{_what(i)}: {why.removeprefix(LINKED)}" for i, why in done.left])
    lines("already gone:", [_what(i) for i in done.gone])


def retention_command(
    ideas_older_than: Annotated[str, typer.Option("--ideas-older-than", metavar="AGE", help=(
        "Delete ideas created longer ago than this many days (such as 365d, at most 36500d) ..."))] = "365d",
    status: Annotated[str, typer.Option("--status", metavar="STATUSES",
                                        help="... whose status is one of these, separated by commas")
                      ] = ",".join(DEFAULT_STATUSES),
    clear_contact_older_than: Annotated[str | None, typer.Option(
        "--clear-contact-older-than", metavar="AGE", help="Also remove the contact details of ideas of any status "
        "created longer ago than this (such as 730d)")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do it; without --yes nothing is changed, and what would be "
                                      "done is listed")] = False,
    data_dir: DataDir = None,
) -> None:
    """Storage limitation: delete old ideas of the given statuses (remembered as erased, so that ingesting the
    file again does not bring them back) and, with --clear-contact-older-than, remove old contact details. An
    idea without a created date is never deleted by age; one that other items link to is left (the list
    without --yes names these as "will be left", with the items that link to them). Made to run from cron: the
    last line sums up.

    Exit code: 0 when everything due was done, and without --yes (the list says what would be left); 3 when
    some ideas were left or more are due than one run handles (10000 changes; run it again); 2 for a wrong
    option.
    """
    from service.cli import _fail, _settings, audit, opened_store
    from service.personal import apply_retention, parse_days, parse_statuses, plan_retention

    try:
        days = parse_days(ideas_older_than, "--ideas-older-than")
        statuses = parse_statuses(status, "--status")
        clear_days = (None if clear_contact_older_than is None
                      else parse_days(clear_contact_older_than, "--clear-contact-older-than"))
    except ValueError as e:
        raise _fail(str(e), 2) from None
    settings = _settings(data_dir)
    with opened_store(settings) as store:
        plan = plan_retention(store, older_than_days=days, statuses=statuses, clear_contact_days=clear_days,
                              today=dt.date.today())
        rule = (f"Retention on {plan.today}: ideas created before {plan.delete_before} with status "
                f"{' or '.join(plan.statuses)} are deleted")
        if plan.clear_before is not None:
            rule += f"; contact details of ideas created before {plan.clear_before} are removed"
        typer.echo(rule)
        done = apply_retention(store, plan) if yes else None
    if done is not None:
        audit(settings, "retention", **done.audit())
    expected = plan.expected()
    if done is None:
        for item in expected.deleted[:SHOWN]:
            typer.echo(f"would delete {_what(item)}")
        for item in plan.clear[:SHOWN]:
            typer.echo(f"would clear the contact of {_what(item)}")
        _will_be_left(expected, SHOWN, contact=False)
        more = sum(max(0, n - SHOWN) for n in (len(expected.deleted), len(plan.clear), len(expected.left)))
        if more:
            typer.echo(f"... and {more} more")
    else:
        _print_done(done, shown=SHOWN)
    if plan.undated:
        left = "will be" if done is None else "was" if plan.undated == 1 else "were"
        typer.echo(f"{plan.undated} idea{' has' if plan.undated == 1 else 's have'} no created date and {left} left")
    if plan.more_due:
        typer.echo(f"{plan.more_due} more changes are due than one run makes; run it again")
    if done is None:
        typer.echo(f"Nothing was changed (add --yes to do it): {expected.summary(planned=True)}")
        return
    typer.echo(done.summary())
    if not done.complete or plan.more_due:
        raise typer.Exit(3)
