"""Public ids (app.models.base): random, of one shape, and safe in a spreadsheet."""

from app.core.export import Column, TableExport, to_csv
from app.models.base import is_public_id, new_public_id
from tests.helpers import read_csv_export


def test_public_ids_are_distinct_and_of_one_shape() -> None:
    ids = [new_public_id() for _ in range(5_000)]
    assert len(set(ids)) == len(ids)
    assert all(is_public_id(value) for value in ids)


def test_no_public_id_starts_as_a_spreadsheet_formula() -> None:
    """A leading "-" would be neutralised in CSV exports (a quote put before it), so the id in
    the file would not be the id; one id in 64 would start so by chance."""
    ids = [new_public_id() for _ in range(5_000)]
    assert not [value for value in ids if value[0] in "-=+@"]


def test_a_public_id_survives_a_csv_export_unchanged() -> None:
    ids = [new_public_id() for _ in range(500)]
    exported = to_csv(TableExport("ids", "Ids", [Column("id")], [{"id": v} for v in ids]))
    assert [row["id"] for row in read_csv_export(exported)[1]] == ids
