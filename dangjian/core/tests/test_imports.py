"""core.imports: every row checked before any is written, batches, resume, refusals.

The register here is a toy one (auth groups by name), so the runner is tested apart
from any domain app; the member import's own tests run it on real member rows.
"""

import csv

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from openpyxl import Workbook, load_workbook

from dangjian.core import excel
from dangjian.core.excel import Column, RowError
from dangjian.core.imports import (
    MSG_BUSY,
    MSG_NO_ROWS,
    Importer,
    ImportRefused,
    run_import,
)
from dangjian.core.models import AuditEntry, ImportJob

pytestmark = pytest.mark.django_db

MSG_TAKEN = "该组名已存在"
MSG_REPEATED = "与第{first}行重复"
MSG_LONG = "组名不能超过 150 个字"
HEADER = ["组名", "备注"]


def convert(user, sheet, start):
    rows, errors, seen = [], [], {}
    names = [r["name"] for r in sheet.rows[start:]]
    taken = set(Group.objects.filter(name__in=names).values_list("name", flat=True))
    for number, row in zip(sheet.row_numbers[start:], sheet.rows[start:], strict=True):
        name = row["name"]
        if not name:
            errors.append(RowError(number, "组名", "不能为空"))
        elif len(name) > 150:
            errors.append(RowError(number, "组名", MSG_LONG))
        elif name in taken:
            errors.append(RowError(number, "组名", MSG_TAKEN))
        elif name in seen:
            errors.append(RowError(number, "组名", MSG_REPEATED.format(first=seen[name])))
        seen.setdefault(name, number)
        rows.append({"name": name})
    return ([] if errors else rows), errors


class Writer:
    """Writes groups; fails (once, or always) when it reaches a given batch."""

    def __init__(self, fail_at: int | None = None, error: Exception | None = None):
        self.fail_at = fail_at
        self.error = error or RuntimeError("磁盘已满")
        self.calls = 0

    def __call__(self, user, rows):
        self.calls += 1
        Group.objects.bulk_create([Group(name=r["name"]) for r in rows])
        if self.calls == self.fail_at:
            raise self.error  # after the write: the batch's transaction must undo it


def importer(write=None) -> Importer:
    return Importer(
        kind="groups",
        columns=[Column("组名", "name", required=True), Column("备注", "note")],
        convert=convert,
        write=write or Writer(),
        audit_action="group.import",
    )


def _csv(path, names):
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        out = csv.writer(fh)
        out.writerow(HEADER)
        for name in names:
            out.writerow([name, "备注"])
    return path


def _xlsx(path, rows, header=HEADER):
    book = Workbook()
    ws = book.active
    if header:
        ws.append(header)
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def _run(path, write=None, **kw):
    return run_import(importer(write), path=path, acting_user=None, **kw)


def test_it_imports_a_huge_file_in_batches(tmp_path):
    names = [f"第{i:05d}组" for i in range(2500)]
    path = _csv(tmp_path / "groups.csv", names)
    seen = []
    result = _run(path, batch_size=400, progress=lambda done, total: seen.append((done, total)))
    assert seen == [(d, 2500) for d in (400, 800, 1200, 1600, 2000, 2400, 2500)]
    assert (result.total, result.resumed_at, result.written) == (2500, 0, 2500)
    assert sorted(Group.objects.values_list("name", flat=True)) == names
    job = ImportJob.objects.get()
    assert (job.kind, job.rows_done, job.state) == ("groups", 2500, "done")
    assert job.file_sha256 == excel.sha256_of(path) and job.file_name == "groups.csv"
    entry = AuditEntry.objects.get(action="group.import")
    assert entry.object_id == str(job.pk)


def test_the_same_file_twice_is_imported_once(tmp_path):
    path = _xlsx(tmp_path / "g.xlsx", [["甲组", ""], ["乙组", ""]])
    _run(path)
    again = _run(path)
    assert again.already_done and again.written == 0
    assert Group.objects.count() == 2
    assert AuditEntry.objects.filter(action="group.import").count() == 1


def test_a_rejected_file_writes_nothing_and_reports_every_row(tmp_path):
    Group.objects.create(name="已有组")
    rows = [["甲组", ""], ["", "无名"], ["已有组", ""], ["甲组", ""], ["长" * 151, ""]]
    path = _xlsx(tmp_path / "bad.xlsx", rows)
    write = Writer()
    with pytest.raises(ImportRefused) as caught:
        _run(path, write, report_path=tmp_path / "report.xlsx")
    refused = caught.value
    assert refused.message == "校验未通过：4 处错误，未写入任何数据"
    assert [(e.row, e.column) for e in refused.errors] == [(3, "组名"), (4, "组名"), (5, "组名"), (6, "组名")]  # fmt: skip
    assert [e.message for e in refused.errors][1:3] == [MSG_TAKEN, MSG_REPEATED.format(first=2)]
    assert str(refused.errors[0]) == "第3行“组名”：不能为空"
    assert write.calls == 0
    assert list(Group.objects.values_list("name", flat=True)) == ["已有组"]
    assert not ImportJob.objects.exists()
    assert not AuditEntry.objects.filter(action="group.import").exists()

    assert refused.report_path == tmp_path / "report.xlsx"
    table = list(load_workbook(refused.report_path).active.iter_rows(values_only=True))
    assert table[0] == ("行号", "组名", "备注", excel.ERROR_HEADER)
    assert [row[0] for row in table[1:]] == [3, 4, 5, 6]
    assert table[2][-1] == f"组名：{MSG_TAKEN}"


def test_the_report_goes_beside_the_file_by_default(tmp_path):
    path = _xlsx(tmp_path / "名单.xlsx", [["", "无名"]])
    with pytest.raises(ImportRefused) as caught:
        _run(path)
    assert caught.value.report_path == tmp_path / "名单.错误报告.xlsx"
    assert caught.value.report_path.is_file()


@pytest.mark.parametrize(
    "content, message",
    [
        (b"PK\x03\x04 not really a zip", excel.MSG_BROKEN),
        (b"\x00\x01\x02garbage", excel.MSG_BROKEN),
    ],
)
def test_a_malformed_file_is_refused(tmp_path, content, message):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(content)
    with pytest.raises(ImportRefused) as caught:
        _run(path)
    assert caught.value.message == message and caught.value.errors == []
    assert not ImportJob.objects.exists() and not Group.objects.exists()


def test_wrong_headers_unknown_formats_and_empty_files_are_refused(tmp_path):
    wrong = _xlsx(tmp_path / "wrong.xlsx", [["甲组"]], header=["名称"])
    header_only = _xlsx(tmp_path / "header.xlsx", [])
    nothing = _xlsx(tmp_path / "nothing.xlsx", [], header=None)
    text = tmp_path / "groups.txt"
    text.write_text("组名\n甲组\n")
    cases = [
        (wrong, excel.MSG_MISSING.format(columns="组名")),
        (header_only, MSG_NO_ROWS),
        (nothing, excel.MSG_EMPTY),
        (text, excel.MSG_FORMAT),
    ]
    for path, message in cases:
        with pytest.raises(ImportRefused) as caught:
            _run(path)
        assert caught.value.message == message, path
    assert not ImportJob.objects.exists() and not Group.objects.exists()


def test_a_crash_midway_keeps_whole_batches_and_the_rerun_resumes(tmp_path):
    names = [f"组{i:03d}" for i in range(250)]
    path = _csv(tmp_path / "g.csv", names)
    with pytest.raises(RuntimeError, match="磁盘已满"):
        _run(path, Writer(fail_at=3), batch_size=100)
    assert Group.objects.count() == 200  # batches 1 and 2; the third rolled back
    job = ImportJob.objects.get()
    assert (job.rows_done, job.state) == (200, "running")
    assert not AuditEntry.objects.filter(action="group.import").exists()

    write = Writer()
    result = _run(path, write, batch_size=100)
    assert (result.resumed_at, result.written) == (200, 50)
    assert write.calls == 1  # only what was left
    assert sorted(Group.objects.values_list("name", flat=True)) == names
    job.refresh_from_db()
    assert (job.rows_done, job.state) == (250, "done")
    entry = AuditEntry.objects.get(action="group.import")
    assert entry.after["resumed_at"] == 200 and entry.after["rows"] == 250


def test_a_row_refused_while_writing_stops_the_import_at_its_batch(tmp_path):
    path = _csv(tmp_path / "g.csv", [f"组{i}" for i in range(5)])
    refusal = ValidationError({"name": "组名已被占用"})
    with pytest.raises(ImportRefused) as caught:
        _run(path, Writer(fail_at=2, error=refusal), batch_size=2)
    assert caught.value.message == (
        "写入第4至5行时校验未通过（组名已被占用）；此前已提交 2 行，未写入本批"
    )
    assert Group.objects.count() == 2
    assert ImportJob.objects.get().rows_done == 2


def test_a_second_process_on_the_same_file_is_stopped(tmp_path):
    path = _csv(tmp_path / "g.csv", [f"组{i}" for i in range(6)])

    def other_process_advances(done, total):
        ImportJob.objects.update(rows_done=done + 2)

    with pytest.raises(ImportRefused) as caught:
        _run(path, batch_size=2, progress=other_process_advances)
    assert caught.value.message == MSG_BUSY
    assert Group.objects.count() == 2
