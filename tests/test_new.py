"""`new`: a client workbook with the profile filled in, and industry suggestions as target
rows; and its errors (existing file, bad date, unknown industry), through the CLI."""
from __future__ import annotations

from datetime import datetime

import openpyxl
import pytest

from conftest import find_table, run_cli, table_records
from journey_workbook.actions.validate import validate_file
from journey_workbook.schema import parse_enum


def profile(path) -> dict:
    return {r["Field"]: r["Value"] for r in table_records(path, "tblClient")}


def test_profile_is_filled_in(tmp_path):
    path = tmp_path / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme Insurance", "--client-id", "C-042",
                   "--start", "2026-01-01", "--end", "2026-12-31", "--arr", "120万",
                   "--cadence", "month", "--csm", "Alex Chen") == 0
    p = profile(path)
    assert p["Client"] == "Acme Insurance" and p["Client ID"] == "C-042"
    assert p["Contract start"] == datetime(2026, 1, 1)
    assert p["Contract end"] == datetime(2026, 12, 31)
    assert p["Renewal date"] == datetime(2026, 12, 31)
    assert p["ARR"] == 1_200_000
    assert p["CSM"] == "Alex Chen"
    assert parse_enum("cadence", p["Cadence"]) == "month"
    assert parse_enum("language", p["Language"]) == "en"
    assert parse_enum("tier", p["Tier"]) == "normal"
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblClient")
    dates = [row[1] for row in ws[tbl.ref][1:] if isinstance(row[1].value, datetime)]
    assert len(dates) == 3 and all("yy" in c.number_format for c in dates)
    assert validate_file(path).issues == []


def test_profile_in_chinese(tmp_path):
    path = tmp_path / "示例.xlsx"
    assert run_cli("new", path, "--client", "示例人寿", "--start", "2026-01-01", "--end",
                   "2026-12-31", "--lang", "zh-CN") == 0
    records = {r["字段"]: r["值"] for r in table_records(path, "tblClient")}
    assert records["客户名称"] == "示例人寿"
    assert records["复盘周期"] == "季度" and records["语言"] == "简体中文"
    assert records["合同开始"] == datetime(2026, 1, 1)
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[:3] == ["使用指南", "仪表盘", "客户档案"]
    from journey_workbook.actions.common import open_file
    from journey_workbook.reader import read_journey

    journey, report = read_journey(open_file(path))
    assert report.issues == [] and journey.lang == "zh-CN" and journey.cadence == "quarter"


def _catalog_ids_for(path, industry: str) -> list[str]:
    return [r["Metric ID"] for r in table_records(path, "tblCatalog")
            if industry in [s.strip() for s in (r["Industries"] or "").split(";")]]


def test_industry_suggests_its_catalog_metrics_as_blank_target_rows(tmp_path):
    path = tmp_path / "ins.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--industry", "insurance") == 0
    expected = _catalog_ids_for(path, "insurance")
    assert {"answer_rate", "add_friend_rate", "adds_count", "conversion_rate"} <= set(expected)
    rows = table_records(path, "tblTargets")
    assert [r["Metric ID"] for r in rows] == expected
    for r in rows:
        assert r["Metric"]
        assert parse_enum("priority", r["Priority"]) == "normal"
        assert r["Baseline"] is None and r["Target"] is None
        assert r["Start"] is None and r["Due"] is None
    report = validate_file(path)
    assert report.valid and {i.code for i in report.issues} == {"target-not-set"}


def test_suggested_percent_targets_are_formatted_as_percent(tmp_path):
    path = tmp_path / "ins.xlsx"
    assert run_cli("new", path, "--client", "Acme", "--industry", "insurance") == 0
    wb = openpyxl.load_workbook(path)
    ws, tbl = find_table(wb, "tblTargets")
    header = [c.value for c in ws[tbl.ref][0]]
    for row in ws[tbl.ref][1:]:
        mid = row[0].value
        base, target = row[header.index("Baseline")], row[header.index("Target")]
        if mid in ("conversion_rate", "answer_rate"):
            assert "%" in base.number_format and "%" in target.number_format, mid
        elif mid == "adds_count":
            assert "%" not in base.number_format and "%" not in target.number_format


def test_industry_suggestions_in_chinese(tmp_path):
    path = tmp_path / "ins.zh.xlsx"
    assert run_cli("new", path, "--client", "示例", "--industry", "retail", "--lang",
                   "zh-CN") == 0
    rows = table_records(path, "tblTargets")
    assert rows and all(r["优先级"] == "一般" for r in rows)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in r["指标"]) for r in rows)


def test_industry_is_matched_as_a_whole_tag_ignoring_case(tmp_path, capsys):
    assert run_cli("new", tmp_path / "a.xlsx", "--client", "A", "--industry", "Insurance") == 0
    assert len(table_records(tmp_path / "a.xlsx", "tblTargets")) >= 5
    # "sur" is part of "insurance" but not an industry: an error, not an empty suggestion
    assert run_cli("new", tmp_path / "b.xlsx", "--client", "B", "--industry", "sur") == 1
    assert "insurance" in capsys.readouterr().err
    assert not (tmp_path / "b.xlsx").exists()


def test_unknown_industry_exits_1_listing_the_known_ones(tmp_path, capsys):
    path = tmp_path / "x.xlsx"
    assert run_cli("new", path, "--client", "X", "--industry", "aerospace") == 1
    err = capsys.readouterr().err
    assert "aerospace" in err
    for known in ("insurance", "finance", "retail", "education", "saas"):
        assert known in err
    assert not path.exists()


def test_existing_file_is_refused_and_left_alone(tmp_path, capsys):
    path = tmp_path / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme") == 0
    before = path.read_bytes()
    capsys.readouterr()
    assert run_cli("new", path, "--client", "Other", "--lang", "zh-CN") == 1
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err
    assert path.read_bytes() == before
    assert not path.with_name(path.name + ".bak").exists()


def test_force_replaces_and_keeps_a_backup(tmp_path):
    path = tmp_path / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme") == 0
    before = path.read_bytes()
    assert run_cli("new", path, "--client", "Other", "--force") == 0
    assert profile(path)["Client"] == "Other"
    assert path.with_name("acme.xlsx.bak").read_bytes() == before


@pytest.mark.parametrize("args", [
    ("--start", "2026-13-01"), ("--end", "31/12/2026"), ("--start", "tomorrow"),
    ("--cadence", "week"), ("--lang", "fr"), ("--arr", "lots"),
])
def test_bad_arguments_are_usage_errors(tmp_path, capsys, args):
    path = tmp_path / "x.xlsx"
    with pytest.raises(SystemExit) as exc:
        run_cli("new", path, "--client", "X", *args)
    assert exc.value.code == 2
    assert "error:" in capsys.readouterr().err
    assert not path.exists()


def test_missing_client_is_a_usage_error(tmp_path):
    with pytest.raises(SystemExit) as exc:
        run_cli("new", tmp_path / "x.xlsx")
    assert exc.value.code == 2


def test_end_before_start_and_wrong_suffix_exit_1(tmp_path, capsys):
    assert run_cli("new", tmp_path / "x.xlsx", "--client", "X", "--start", "2026-12-31",
                   "--end", "2026-01-01") == 1
    assert "not after its start" in capsys.readouterr().err
    assert run_cli("new", tmp_path / "x.xls", "--client", "X") == 1
    assert ".xlsx" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_new_creates_missing_folders(tmp_path):
    path = tmp_path / "clients" / "2026" / "acme.xlsx"
    assert run_cli("new", path, "--client", "Acme") == 0
    assert path.exists()
