"""State machines, their published versions and their aliases (tables `state_machines`, `machine_versions`,
`machine_aliases`)."""

from __future__ import annotations

from typing import Any

from sojourn.store.rows import AliasRow, MachineRow, VersionRow
from sojourn.store.sql import Statements


class MachineVerbs(Statements):
    """The verbs of state machines, versions and aliases."""

    def machine(self, arn: str) -> MachineRow | None:
        """The state machine `arn` (unqualified), or None."""
        row: MachineRow | None = self._one("SELECT * FROM state_machines WHERE arn = ?", (arn,))
        return row

    def machines(self, after: str | None, limit: int) -> list[MachineRow]:
        """State machines by name, those after `after`."""
        rows: list[MachineRow] = self._all(
            "SELECT * FROM state_machines WHERE (CAST(? AS TEXT) IS NULL OR name > ?) ORDER BY name LIMIT ?",
            (after, after, limit),
        )
        return rows

    def insert_machine(self, row: MachineRow) -> None:
        """Record a new state machine."""
        self._insert("state_machines", dict(row))

    def update_machine(self, arn: str, changes: dict[str, Any]) -> None:
        """Change some columns of the state machine `arn`."""
        self._update("state_machines", {"arn": arn}, changes)

    def delete_machine(self, arn: str) -> None:
        """Delete the state machine `arn` with its versions, aliases and tags (its executions stay)."""
        self._execute("DELETE FROM state_machines WHERE arn = ?", (arn,))
        self._execute("DELETE FROM machine_versions WHERE machine_arn = ?", (arn,))
        self._execute("DELETE FROM machine_aliases WHERE machine_arn = ?", (arn,))
        self._execute("DELETE FROM tags WHERE resource_arn = ?", (arn,))

    # -- versions -------------------------------------------------------------------------------

    def versions(self, machine_arn: str) -> list[VersionRow]:
        """The versions of a state machine, newest first."""
        rows: list[VersionRow] = self._all(
            "SELECT * FROM machine_versions WHERE machine_arn = ? ORDER BY version DESC", (machine_arn,)
        )
        return rows

    def version(self, arn: str) -> VersionRow | None:
        """The version `arn`, or None."""
        row: VersionRow | None = self._one("SELECT * FROM machine_versions WHERE arn = ?", (arn,))
        return row

    def next_version_number(self, machine_arn: str) -> int:
        """The number the next version of `machine_arn` gets: one more than the highest (numbers are never
        reused while a higher one exists)."""
        row = self._one(
            "SELECT COALESCE(MAX(version), 0) + 1 AS n FROM machine_versions WHERE machine_arn = ?",
            (machine_arn,),
        )
        return int(row["n"])

    def insert_version(self, row: VersionRow) -> None:
        """Record a published version."""
        self._insert("machine_versions", dict(row))

    def delete_version(self, arn: str) -> None:
        """Delete the version `arn` (the caller checks no alias routes to it)."""
        self._execute("DELETE FROM machine_versions WHERE arn = ?", (arn,))

    # -- aliases --------------------------------------------------------------------------------

    def alias(self, arn: str) -> AliasRow | None:
        """The alias `arn`, or None."""
        row: AliasRow | None = self._one("SELECT * FROM machine_aliases WHERE arn = ?", (arn,))
        return row

    def aliases(self, machine_arn: str) -> list[AliasRow]:
        """The aliases of a state machine, by name."""
        rows: list[AliasRow] = self._all(
            "SELECT * FROM machine_aliases WHERE machine_arn = ? ORDER BY name", (machine_arn,)
        )
        return rows

    def aliases_routing_to(self, version_arn: str) -> list[AliasRow]:
        """The aliases whose routing names the version `version_arn`."""
        rows: list[AliasRow] = self._all(
            "SELECT * FROM machine_aliases WHERE routing LIKE ?", (f'%"{version_arn}"%',)
        )
        return rows

    def insert_alias(self, row: AliasRow) -> None:
        """Record a new alias."""
        self._insert("machine_aliases", dict(row))

    def update_alias(self, arn: str, changes: dict[str, Any]) -> None:
        """Change some columns of the alias `arn`."""
        self._update("machine_aliases", {"arn": arn}, changes)

    def delete_alias(self, arn: str) -> None:
        """Delete the alias `arn`."""
        self._execute("DELETE FROM machine_aliases WHERE arn = ?", (arn,))
