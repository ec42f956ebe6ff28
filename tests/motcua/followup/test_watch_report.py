"""The overdue watch's CSV (SPEC 11, 12.1): its cells come from the dossier imports, so text a
spreadsheet would run (``=HYPERLINK(…)``) is written as plain text, as the console's exports do."""
import csv
import io

from tests.motcua.followup.test_followup import Hall

FORMULA = '=HYPERLINK("http://x","y")'


def test_the_watch_csv_never_holds_a_formula_an_import_carried(tmp_path):
    h = Hall(tmp_path, {"transport": "directory", "directory": {"path": str(tmp_path / "sms-out")}})
    h.clock.set("2026-12-01 09:00")
    h.put(code="000.00.53.H48-261201-0001", due_at="2026-12-02T17:00:00+07:00", applicant=FORMULA,
          agency="+Sở Xây dựng", procedure="@SUM(1+1)")
    h.fu.run_once()
    h.clock.set("2026-12-03 07:30")                          # the dossier is a day past due
    pdf = h.fu.daily()
    [_, row] = list(csv.reader(io.StringIO(pdf.with_suffix(".csv").read_text(encoding="utf-8-sig"))))
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in row), row
    assert "'" + FORMULA in row and "'+Sở Xây dựng" in row and "'@SUM(1+1)" in row, "the text itself is kept"
