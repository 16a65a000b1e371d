"""Issue 14: the schema is ready for a distributed PostgreSQL (Citus) with the patient as
distribution column. Checked against the models (no Citus cluster here): every table is
classified once; a distributed table has its distribution column in its primary key and
in every unique constraint and unique index; no foreign key crosses patients; the README
names exactly the statements pgd.distribution.citus_statements() returns."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

from sqlalchemy import Table, UniqueConstraint

from pgd import distribution
from pgd.db import Base

ROOT = Path(__file__).resolve().parent.parent


def _tables() -> dict[str, Table]:
    """Every table of the models: each module that declares one is imported first."""
    for path in sorted((ROOT / "pgd").rglob("*.py")):
        if "__tablename__" in path.read_text(encoding="utf-8"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            importlib.import_module(module)
    return dict(Base.metadata.tables)


def _unique_column_sets(table: Table) -> list[tuple[str, list[str]]]:
    found = [
        (str(c.name), [col.name for col in c.columns])
        for c in table.constraints
        if isinstance(c, UniqueConstraint)
    ]
    found += [(str(i.name), [col.name for col in i.columns]) for i in table.indexes if i.unique]
    return found


def test_every_table_is_classified_exactly_once() -> None:
    tables = set(_tables())
    distributed = set(distribution.DISTRIBUTED)
    reference = list(distribution.REFERENCE)
    assert len(reference) == len(set(reference)), "a reference table is listed twice"
    both = distributed & set(reference)
    assert not both, f"classified as distributed and reference: {sorted(both)}"
    unclassified = tables - distributed - set(reference)
    assert not unclassified, f"tables not classified in pgd.distribution: {sorted(unclassified)}"
    unknown = (distributed | set(reference)) - tables
    assert not unknown, f"classified but not in the models: {sorted(unknown)}"


def test_distribution_columns_exist() -> None:
    tables = _tables()
    missing = [
        f"{name}.{column}"
        for name, column in distribution.DISTRIBUTED.items()
        if column not in tables[name].c
    ]
    assert not missing, f"distribution columns not in the table: {missing}"


def test_the_primary_key_of_a_distributed_table_includes_its_distribution_column() -> None:
    tables = _tables()
    offending = {
        name: [c.name for c in tables[name].primary_key.columns]
        for name, column in distribution.DISTRIBUTED.items()
        if column not in tables[name].primary_key.columns
    }
    assert not offending, f"primary keys without the distribution column: {offending}"


def test_every_unique_constraint_of_a_distributed_table_includes_its_column() -> None:
    tables = _tables()
    offending = [
        f"{name}: {unique} {columns}"
        for name, column in distribution.DISTRIBUTED.items()
        for unique, columns in _unique_column_sets(tables[name])
        if column not in columns
    ]
    assert not offending, f"unique constraints/indexes without the distribution column: {offending}"


def _foreign_keys(table: Table) -> list[tuple[list[str], str, list[str]]]:
    return [
        (
            [e.parent.name for e in fk.elements],
            fk.referred_table.name,
            [e.column.name for e in fk.elements],
        )
        for fk in table.foreign_key_constraints
    ]


def test_no_foreign_key_crosses_patients() -> None:
    """From a distributed table: to a reference table only from the distribution column
    itself (the patient's own row), or to a distributed table with the distribution column
    pointing at the other's distribution column. None from a reference table to a
    distributed one."""
    tables = _tables()
    dist = distribution.DISTRIBUTED
    offending = []
    for name, table in tables.items():
        for columns, target, referred in _foreign_keys(table):
            fk = f"{name}({', '.join(columns)}) -> {target}({', '.join(referred)})"
            if name not in dist:
                if target in dist:
                    offending.append(f"{fk}: a reference table points at a distributed one")
                continue
            column = dist[name]
            if target in dist:
                pairs = dict(zip(columns, referred, strict=True))
                if pairs.get(column) != dist[target]:
                    offending.append(f"{fk}: does not pair {column} with {dist[target]}")
            elif columns != [column]:
                offending.append(f"{fk}: to a reference table from another column than {column}")
    assert not offending, "foreign keys that cross patients:\n" + "\n".join(offending)


def test_statements_come_in_an_order_citus_accepts() -> None:
    """Reference tables first, profiles next (the others are co-located with it), and
    every table after the tables its foreign keys point at."""
    tables = _tables()
    statements = distribution.citus_statements()
    order = [re.search(r"\('(\w+)'", s).group(1) for s in statements]  # type: ignore[union-attr]
    assert order == [*distribution.REFERENCE, *distribution.DISTRIBUTED]
    assert order[len(distribution.REFERENCE)] == distribution.COLOCATE_WITH
    late = [
        f"{name} -> {target}"
        for name in order
        for _columns, target, _referred in _foreign_keys(tables[name])
        if target != name and order.index(target) > order.index(name)
    ]
    assert not late, f"distributed before the table it refers to: {late}"
    assert all(s.startswith("SELECT create_") and s.endswith(";") for s in statements)
    first_distributed = statements[len(distribution.REFERENCE)]
    assert first_distributed == "SELECT create_distributed_table('profiles', 'user_id');"
    rest = statements[len(distribution.REFERENCE) + 1 :]
    assert all(s.endswith("colocate_with => 'profiles');") for s in rest)


def test_the_readme_lists_exactly_the_statements() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```sql\n(.*?)```", readme, flags=re.DOTALL)
    wanted = distribution.citus_statements()
    found = [block.strip().splitlines() for block in blocks if "create_distributed_table" in block]
    assert found == [wanted], "README.md's ```sql block differs from citus_statements()"


def test_the_command_prints_the_statements(runner: Any) -> None:
    result = runner.invoke(args=["citus-statements"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == distribution.citus_statements()


def test_deleting_a_patient_goes_by_the_distribution_column() -> None:
    """Account deletion (pgd.accounts.deletion) removes a patient's rows by the columns that
    name the owner: for every patient table that is exactly its distribution column, so no
    row of another person (a clinician named in a grant or target) is touched."""
    from pgd.accounts.deletion import KEPT_TABLES, _patient_tables

    _tables()
    walked = {table.name: columns for table, columns in _patient_tables()}
    expected = set(distribution.DISTRIBUTED) - KEPT_TABLES - {"data_keys"}  # keys: pgd.crypto
    assert expected <= set(walked), f"not deleted with the patient: {expected - set(walked)}"
    offending = {
        name: columns
        for name, columns in walked.items()
        if name in distribution.DISTRIBUTED and columns != [distribution.DISTRIBUTED[name]]
    }
    assert not offending, f"deleted by other columns than the patient's: {offending}"
