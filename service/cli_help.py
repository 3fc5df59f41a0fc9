"""How ``kominn`` commands write their help: arguments and option values as names (``QUERY``, ``PATH...``,
``--known ORG``), not as Typer's Python types (``{query}``, ``<list[Path]>``, ``<str>``)."""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperCommand


def argument_name(param: Any) -> str:
    """An argument as the usage line and the help name it: its metavar or its name in capitals, with ``...`` when
    it takes several values."""
    name = param.metavar or str(param.name or "").upper()
    return name + ("..." if param.nargs != 1 else "")


class Command(TyperCommand):
    """A Typer command whose usage line and help say ``kominn similar [OPTIONS] QUERY`` and ``--unit ID``. An option
    that takes a value and names none shows its name in capitals (``--data-dir DATA_DIR``), never a type."""

    def collect_usage_pieces(self, ctx: Any) -> list[str]:
        pieces = [self.options_metavar] if self.options_metavar else []
        for param in self.get_params(ctx):
            if param.param_type_name == "argument":
                pieces.append(argument_name(param) if param.required else f"[{argument_name(param)}]")
        return pieces

    def format_options(self, ctx: Any, formatter: Any) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            takes_value = not (getattr(param, "is_flag", False) or getattr(param, "count", False))
            if param.param_type_name == "option" and param.metavar is None and takes_value:
                param.metavar = str(param.name or "value").upper()  # Typer shows it where it would show the type
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":  # Typer writes "query <str>": the name alone
                arguments.append((argument_name(param), record[1]))
            elif param.param_type_name == "option":
                options.append(record)
        for title, records in (("Arguments", arguments), ("Options", options)):
            if records:
                with formatter.section(title):
                    formatter.write_dl(records)


class App(typer.Typer):
    """A Typer app whose commands are :class:`Command`, unless one names another class."""

    def command(self, name: str | None = None, *, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(name, cls=cls or Command, **kwargs)
