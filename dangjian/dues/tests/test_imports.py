"""Bases import through the core import runner: row-level errors, nothing from a rejected
file, the bases set when the file is clean."""

import pytest
from openpyxl import Workbook

from dangjian.core.imports import ImportRefused, run_import
from dangjian.dues import imports
from dangjian.dues.models import DuesBase

pytestmark = pytest.mark.django_db


def sheet(tmp_path, rows):
    book = Workbook()
    book.active.append([c.header for c in imports.COLUMNS])
    for row in rows:
        book.active.append(row)
    path = tmp_path / "bases.xlsx"
    book.save(path)
    return path


def test_a_file_with_an_error_writes_nothing(cast, tmp_path):
    m1, m2 = cast.member["B1m1"], cast.member["B3m1"]  # B3 is outside B1's admin
    path = sheet(
        tmp_path,
        [
            [m1.id_number, "在职", "3000.01", "2026-01", ""],
            [m2.id_number, "在职", "3000", "2026-01", ""],
            [m1.id_number, "农夫", "", "2026-02", ""],
        ],
    )
    with pytest.raises(ImportRefused) as exc:
        run_import(imports.IMPORTER, path=path, acting_user=cast.user["branch_admin"])
    assert [(e.row, e.column) for e in exc.value.errors] == [(3, "公民身份号码"), (4, "类别")]
    assert not DuesBase.objects.exists()


def test_a_clean_file_sets_the_bases(cast, tmp_path):
    m1, m2 = cast.member["B1m1"], cast.member["B1m2"]
    path = sheet(
        tmp_path,
        [
            [m1.id_number, "在职", "3000.01", "2026-01", ""],
            [m2.id_number, "retired", "5000", "2026-01", ""],
        ],
    )
    result = run_import(imports.IMPORTER, path=path, acting_user=cast.user["branch_admin"])
    assert result.written == 2
    assert sorted(DuesBase.objects.values_list("amount_fen", flat=True)) == [2500, 3000]
