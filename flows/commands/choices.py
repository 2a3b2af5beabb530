"""The enumerated values of command-line options, built from the one list each lives in.

Typer turns a `Literal[...]` annotation into a choice: `--help` lists the values and a typo is refused
before the command runs. The type checker sees plain `str` (a Literal cannot be built from a tuple in
a way it understands); at run time each name is the Literal of its list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from mediawatch.records import (
    CORRECTABLE_FIELDS,
    DIGEST_FORMATS,
    EXPORT_FORMATS,
    ROLES,
    WORKING_GROUPS,
    Domain,
)

__all__ = ["CorrectableField", "DigestFormat", "DomainName", "ExportFormat", "GroupOrAll", "Role", "WorkingGroup",
           "values"]

if TYPE_CHECKING:
    type DomainName = str
    type WorkingGroup = str
    type GroupOrAll = str
    type DigestFormat = str
    type ExportFormat = str
    type CorrectableField = str
    type Role = str
else:
    DomainName = Literal[tuple(map(str, Domain))]  # the seven labels
    WorkingGroup = Literal[tuple(map(str, WORKING_GROUPS))]  # the five chairs' groups
    GroupOrAll = Literal[(*map(str, WORKING_GROUPS), "all")]
    DigestFormat = Literal[DIGEST_FORMATS]
    ExportFormat = Literal[EXPORT_FORMATS]
    CorrectableField = Literal[CORRECTABLE_FIELDS]
    Role = Literal[ROLES]


def values(choice: object) -> tuple[str, ...]:
    """The values of one of the choices above (for messages and tests)."""
    return tuple(getattr(choice, "__args__", ()))
