"""The dossier report in the columns of form 06/VPCP/KSTT (Circular 01/2020/TT-VPCP), per field or
agency, for any period (SPEC section 12).

One SQL pass over the dossiers that can count in the period (received before its end, not finished
before its start: the open ones and those finished since, through an index), with the dates
compared as text: the hub keeps every time in the site's zone (``dossiers.parse_time``), so the
first ten characters are the local date. Counted:
- received: carried over (received before the period, not finished before it) and new (received
  in it), the new ones by channel (in person, online, postal);
- resolved in the period: early (finished before the due date), on time (on it, or no due date
  promised), late (after it), by the source's due date — an extension entered at the centre
  excuses nothing in the report, as the law counts it;
- withdrawn or stopped in the period (statuses 7 and 8): finished, but neither resolved nor open;
- in progress at the period's end (or today, if sooner): in time or overdue;
- the share resolved early, in per cent of those resolved.
Dossiers never received (statuses 1 and 3) are left out.
"""
from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from ..contract import DossierStatus
from .tables import Column, Table

REPORT_SQL = """
WITH d AS (
  SELECT COALESCE(field, agency) AS f, channel, status,
         substr(received_at, 1, 10) AS r, substr(finished_at, 1, 10) AS fin, substr(due_at, 1, 10) AS due
  FROM dossiers WHERE status NOT IN (:registered, :not_accepted)
                  AND received_at < :after AND (finished_at IS NULL OR finished_at >= :first)
)
SELECT f,
  SUM(r < :first AND (fin IS NULL OR fin >= :first)) AS carried,
  SUM(r >= :first) AS new,
  SUM(r >= :first AND channel = 1) AS in_person,
  SUM(r >= :first AND channel = 2) AS online,
  SUM(r >= :first AND channel = 3) AS postal,
  SUM(fin BETWEEN :first AND :last AND status NOT IN (:withdrawn, :stopped) AND due IS NOT NULL AND fin < due) AS early,
  SUM(fin BETWEEN :first AND :last AND status NOT IN (:withdrawn, :stopped) AND (due IS NULL OR fin = due)) AS on_time,
  SUM(fin BETWEEN :first AND :last AND status NOT IN (:withdrawn, :stopped) AND due IS NOT NULL AND fin > due) AS late,
  SUM(fin BETWEEN :first AND :last AND status IN (:withdrawn, :stopped)) AS withdrawn,
  SUM((fin IS NULL OR fin > :last) AND (due IS NULL OR due >= :asof)) AS in_time,
  SUM((fin IS NULL OR fin > :last) AND due < :asof) AS overdue
FROM d GROUP BY f ORDER BY f
"""
# the statuses the SQL names, as plain numbers (what the store holds)
STATUSES = {"registered": int(DossierStatus.REGISTERED), "not_accepted": int(DossierStatus.NOT_ACCEPTED),
            "withdrawn": int(DossierStatus.WITHDRAWN), "stopped": int(DossierStatus.STOPPED)}
COUNTS = ["carried", "new", "in_person", "online", "postal", "early", "on_time", "late", "withdrawn",
          "in_time", "overdue"]
COLUMNS = [
    Column("field", "Lĩnh vực / cơ quan", "Field / agency", "text"),
    Column("received", "Tiếp nhận — tổng", "Received — total"),
    Column("carried", "Từ kỳ trước", "Carried over"), Column("new", "Mới tiếp nhận", "New"),
    Column("in_person", "Trực tiếp", "In person"), Column("online", "Trực tuyến", "Online"),
    Column("postal", "Bưu chính", "Postal"),
    Column("resolved", "Đã giải quyết — tổng", "Resolved — total"),
    Column("early", "Trước hạn", "Early"), Column("on_time", "Đúng hạn", "On time"), Column("late", "Quá hạn", "Late"),
    Column("withdrawn", "Rút / dừng", "Withdrawn / stopped"),
    Column("in_progress", "Đang giải quyết — tổng", "In progress — total"),
    Column("in_time", "Trong hạn", "In time"), Column("overdue", "Quá hạn", "Overdue"),
    Column("early_pct", "Tỷ lệ trước hạn (%)", "Resolved early (%)", "pct"),
]


def _complete(counts: dict) -> dict:
    resolved = counts["early"] + counts["on_time"] + counts["late"]
    return {**counts, "received": counts["carried"] + counts["new"], "resolved": resolved,
            "in_progress": counts["in_time"] + counts["overdue"],
            "early_pct": round(100 * counts["early"] / resolved, 1) if resolved else None}


def dossier_report(db: sqlite3.Connection, first: date, last: date, today: date) -> dict:
    """``{"first", "last", "fields": {name: counts}, "total": counts}``."""
    asof = min(last, today).isoformat()
    args = {"first": first.isoformat(), "last": last.isoformat(), "asof": asof,
            "after": (last + timedelta(days=1)).isoformat()}
    rows = db.execute(REPORT_SQL, {**args, **STATUSES}).fetchall()
    fields = {row[0]: _complete({k: int(row[i + 1] or 0) for i, k in enumerate(COUNTS)}) for row in rows}
    total = _complete({k: sum(f[k] for f in fields.values()) for k in COUNTS})
    return {"first": first.isoformat(), "last": last.isoformat(), "fields": fields, "total": total}


def report_table(report: dict) -> Table:
    """The dossiers report as one table, a row per field plus the total: what the page shows and the CSV and XLSX
    downloads hold."""
    t = Table("dossiers", "Tình hình giải quyết hồ sơ (mẫu 06/VPCP/KSTT)",
              "Dossiers handled (form 06/VPCP/KSTT)", COLUMNS)
    for name, counts in [*report["fields"].items(), ("Tổng cộng / Total", report["total"])]:
        t.rows.append([name] + [counts[c.key] for c in COLUMNS[1:]])
    return t
