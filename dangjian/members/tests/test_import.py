"""`dangjian import_members`: all rows checked first, errors reported per row, resumable."""

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook, load_workbook

from dangjian.core import excel
from dangjian.core.models import ImportJob
from dangjian.members import imports
from dangjian.members.models import Member
from tests.kit import new_id_number

HEADER = [c.header for c in imports.COLUMNS]


def _row(id_number, **over):
    row = {
        "姓名": "导入党员",
        "公民身份号码": id_number,
        "手机号": "13900001111",
        "民族": "汉族",
        "学历": "大学本科",
        "职业": "教师",
        "入党日期": dt.date(2010, 7, 1),
        "转正日期": dt.date(2011, 7, 1),
        "党籍状态": "正式党员",
        "所在党支部代码": "530102100001",  # B1
        "家庭住址": "云南省昆明市五华区华山南路1号",
    }
    row.update(over)
    return [row[h] for h in HEADER]


def _xlsx(path, rows):
    book = Workbook()
    ws = book.active
    ws.append(list(reversed(HEADER)))  # column order does not matter
    for row in rows:
        ws.append(list(reversed(row)))
    book.save(path)
    return path


def _import(path, user="branch_admin", *more):
    call_command("import_members", str(path), "--acting-user", user, *more)


def test_it_imports_an_xlsx_in_batches(cast, tmp_path):
    ids = [new_id_number(dt.date(1980, 1, 1) + dt.timedelta(days=i)) for i in range(5)]
    path = _xlsx(tmp_path / "ok.xlsx", [_row(i) for i in ids])
    before = Member.objects.count()
    _import(path, "branch_admin", "--batch-size", "2")
    assert Member.objects.count() == before + 5
    member = Member.objects.get(name="导入党员", birth_date=dt.date(1980, 1, 3))
    assert member.address == "云南省昆明市五华区华山南路1号"
    assert member.branch == cast.org["B1"] and member.education == "bachelor"
    job = ImportJob.objects.get(file_sha256=excel.sha256_of(path))
    assert (job.rows_done, job.state) == (5, "done")
    _import(path)  # same file again: nothing happens
    assert Member.objects.count() == before + 5


def test_every_bad_row_is_reported_and_nothing_written(cast, tmp_path):
    good = new_id_number(dt.date(1981, 1, 1))
    rows = [
        _row(good),
        _row("530102198001011235"),  # wrong check character
        _row(cast.member["B2m1"].id_number),  # already registered
        _row(new_id_number(dt.date(1982, 1, 1)), **{"学历": "博士后", "入党日期": "去年"}),
        _row(new_id_number(dt.date(1983, 1, 1)), **{"所在党支部代码": "530103100001"}),  # B3
        _row(good),  # repeated in the file
    ]
    path = _xlsx(tmp_path / "bad.xlsx", rows)
    before = Member.objects.count()
    with pytest.raises(CommandError) as exc:
        _import(path, "branch_admin", "--report", str(tmp_path / "report.xlsx"))
    assert exc.value.returncode == 1
    assert "未写入任何数据" in str(exc.value)
    assert Member.objects.count() == before
    assert not ImportJob.objects.exists()

    ws = load_workbook(tmp_path / "report.xlsx").active
    table = list(ws.iter_rows(values_only=True))
    assert table[0][0] == "行号" and table[0][-1] == excel.ERROR_HEADER
    errors = {row[0]: row[-1] for row in table[1:]}
    assert set(errors) == {3, 4, 5, 6, 7}  # sheet rows (header is row 1)
    assert "校验位" in errors[3]
    assert "已登记" in errors[4]
    assert "学历" in errors[5] and "入党日期" in errors[5]
    assert imports.MSG_BRANCH_UNKNOWN in errors[6]  # B3 is outside branch_admin's scope
    assert "重复" in errors[7]


def test_csv_in_gb18030_and_missing_columns(cast, tmp_path):
    path = tmp_path / "m.csv"
    path.write_bytes(("姓名,手机号\n张三,13900000000\n").encode("gb18030"))
    with pytest.raises(CommandError, match="缺少必填列：公民身份号码"):
        _import(path)


def test_dates_and_numbers_read_as_people_write_them():
    assert excel.parse_date("2020/7/1") == dt.date(2020, 7, 1)
    assert excel.parse_date("20200701") == dt.date(2020, 7, 1)
    assert excel.parse_date("") is None
    with pytest.raises(ValueError):
        excel.parse_date("七月一日")
    assert excel._text(13900001111.0) == "13900001111"
    assert excel._text(dt.datetime(2020, 7, 1)) == "2020-07-01"
