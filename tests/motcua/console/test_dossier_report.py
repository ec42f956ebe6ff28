"""The dossier report of form 06/VPCP/KSTT on known sets (SPEC section 12), and its XLSX and CSV."""
import csv
import io
from datetime import date, datetime

from openpyxl import load_workbook

from motcua.console.dossier_report import dossier_report, report_table
from motcua.console.tables import to_csv, to_xlsx
from motcua.db import transaction
from motcua.hub import dossiers

NOW = datetime.fromisoformat("2027-01-05T09:00:00+07:00")


def dossier(n: int, received: str, due: str | None, finished: str | None = None, status: int | None = None,
            field: str = "Đất đai", channel: int = 1) -> dossiers.Dossier:
    at = lambda d: None if d is None else f"{d}T09:00:00+07:00"       # noqa: E731
    return dossiers.Dossier(code=f"000.00.53.H48-{received[2:4]}{received[5:7]}{received[8:]}-{n:04d}",
                            procedure="Cấp giấy chứng nhận", agency="Sở Tài nguyên và Môi trường",
                            received_at=at(received), due_at=at(due), finished_at=at(finished),
                            status=status or (10 if finished else 4), applicant="Nguyễn Văn An", phone=None,
                            note="", field=field, channel=channel)


def store(tmp_path, rows):
    db = dossiers.connect(str(tmp_path / "d.sqlite3"))
    with transaction(db):
        dossiers.upsert(db, rows, NOW)
    return db


def test_a_quarter_counted_as_a_person_would(tmp_path):
    rows = [
        dossier(1, "2026-09-01", "2026-09-20", "2026-09-15"),            # done before the period: not in it
        dossier(2, "2026-09-20", "2026-10-10", "2026-10-05"),            # carried over, resolved early
        dossier(3, "2026-09-21", "2026-09-30"),                          # carried over, still open, overdue
        dossier(4, "2026-10-02", "2026-10-12", "2026-10-12"),            # new in person, on time
        dossier(5, "2026-10-03", "2026-10-12", "2026-10-20", channel=2),  # new online, late
        dossier(6, "2026-11-03", "2027-01-20", channel=2),                # new online, open in time
        dossier(7, "2026-11-04", "2026-11-30", "2026-11-10", channel=3),  # new postal, early
        dossier(8, "2026-11-05", "2026-11-30", "2026-11-06", status=7),   # withdrawn
        dossier(9, "2026-12-01", "2026-12-05", status=1),                # never received: left out
        dossier(10, "2026-12-02", None, "2026-12-02", field="Hộ tịch"),   # no date promised: on time
        dossier(11, "2027-01-02", "2027-01-10"),                          # after the period
    ]
    r = dossier_report(store(tmp_path, rows), date(2026, 10, 1), date(2026, 12, 31), date(2027, 1, 5))
    land = r["fields"]["Đất đai"]
    assert (land["carried"], land["new"], land["received"]) == (2, 5, 7)
    assert (land["in_person"], land["online"], land["postal"]) == (2, 2, 1), "the withdrawn one came in person"
    assert (land["early"], land["on_time"], land["late"], land["resolved"], land["withdrawn"]) == (2, 1, 1, 4, 1)
    assert (land["in_time"], land["overdue"], land["in_progress"]) == (1, 1, 2)
    assert land["early_pct"] == 50.0
    assert r["fields"]["Hộ tịch"]["on_time"] == 1 and r["total"]["received"] == 8 and r["total"]["resolved"] == 5
    assert r["total"]["early_pct"] == 40.0


def test_the_kon_tum_centre_shape_gives_55_7_percent_early(tmp_path):
    """5,622 dossiers in three months, 4,301 resolved, 55.7 % of them early (2019)."""
    rows, n = [], 0
    for count, due, finished in ((2396, "2026-03-20", "2026-03-10"), (1700, "2026-03-10", "2026-03-10"),
                                 (205, "2026-03-01", "2026-03-10"), (1000, "2026-04-30", None),
                                 (321, "2026-03-15", None)):
        for _ in range(count):
            n += 1
            rows.append(dossier(n, "2026-02-01", due, finished, channel=1 + n % 3))
    r = dossier_report(store(tmp_path, rows), date(2026, 1, 1), date(2026, 3, 31), date(2026, 6, 1))
    t = r["total"]
    assert (t["received"], t["new"], t["resolved"], t["in_progress"], t["overdue"]) == (5622, 5622, 4301, 1321, 321)
    assert t["early_pct"] == 55.7
    assert t["in_person"] + t["online"] + t["postal"] == 5622


def test_a_report_still_running_counts_overdue_as_of_today(tmp_path):
    rows = [dossier(1, "2026-12-01", "2026-12-10"), dossier(2, "2026-12-01", "2026-12-03")]
    r = dossier_report(store(tmp_path, rows), date(2026, 12, 1), date(2026, 12, 31), date(2026, 12, 5))
    assert (r["total"]["in_time"], r["total"]["overdue"]) == (1, 1), "on the 5th only the one due on the 3rd is late"


def test_the_downloads_hold_the_numbers_of_the_table(tmp_path):
    rows = [dossier(2, "2026-09-20", "2026-10-10", "2026-10-05"), dossier(4, "2026-10-02", "2026-10-12", "2026-10-12"),
            dossier(10, "2026-12-02", None, "2026-12-02", field="Hộ tịch <b>x</b>")]
    table = report_table(dossier_report(store(tmp_path, rows), date(2026, 10, 1), date(2026, 12, 31),
                                        date(2027, 1, 5)))
    ws = load_workbook(io.BytesIO(to_xlsx([table], "Trung tâm"))).active
    sheet = [list(r) for r in ws.iter_rows(min_row=3, values_only=True)]
    assert sheet == table.rows
    text = to_csv([table]).decode("utf-8")
    assert text.startswith("\ufeff"), "a byte-order mark, so Excel reads the diacritics"
    body = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[2:]
    assert [[str(v) if v is not None else "" for v in r] for r in table.rows] == body
    assert body[-1][0] == "Tổng cộng / Total" and body[-1][-1] == "33.3"
