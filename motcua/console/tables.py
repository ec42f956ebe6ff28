"""The console's figures as tables: one model that the page, the XLSX and the CSV all render, so
the numbers a supervisor downloads are the numbers they read (SPEC section 12).

Durations are minutes with one decimal everywhere (a supervisor reads "12,5 phút", a spreadsheet
sums it); a value with nothing to measure is empty. The CSV is UTF-8 with a byte-order mark so
that Excel opens the Vietnamese right, one block per table, blank line between.

Text reaches the exports from outside (a dossier's field or agency from an import): both exports
pass every cell through ``motcua.sheets.cell()``, which makes text a spreadsheet would run plain
text (the rule shared with the follow-up's watch CSV).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

from ..config import SiteConfig
from ..contract import RATINGS as RATING_NAMES
from ..hub.figures import satisfaction_index, satisfied_share
from ..sheets import cells


@dataclass(frozen=True)
class Column:
    """A column of a report table, titled in both languages; ``kind`` says how its values are written (int, min for
    seconds shown as minutes, pct, text)."""
    key: str
    vi: str
    en: str
    kind: str = "int"          # int | min (seconds shown as minutes) | pct | text


@dataclass
class Table:
    """A report table as shown on a page and downloaded as CSV or an XLSX sheet; ``name`` is both the sheet's name and
    the page's anchor."""
    name: str                  # sheet name and the anchor on the page
    vi: str
    en: str
    columns: list[Column]
    rows: list[list] = field(default_factory=list)

    def title(self, lang: str) -> str:
        return self.vi if lang == "vi" else self.en


MEASURES = [
    Column("issued", "Đã phát", "Issued"), Column("served", "Đã phục vụ", "Served"),
    Column("no_show", "Vắng mặt", "No-show"), Column("void", "Đã hủy", "Void"),
    Column("expired", "Hết hạn", "Expired"),
    Column("wait_median_s", "Chờ — trung vị (phút)", "Wait — median (min)", "min"),
    Column("wait_p90_s", "Chờ — P90 (phút)", "Wait — p90 (min)", "min"),
    Column("wait_max_s", "Chờ — tối đa (phút)", "Wait — max (min)", "min"),
    Column("service_median_s", "Phục vụ — trung vị (phút)", "Service — median (min)", "min"),
    Column("service_p90_s", "Phục vụ — P90 (phút)", "Service — p90 (min)", "min"),
    Column("service_max_s", "Phục vụ — tối đa (phút)", "Service — max (min)", "min"),
]
BY_SOURCE = [Column("issued_walk_in", "Phát tại sảnh", "Issued walk-in"),
             Column("issued_sms", "Phát qua SMS", "Issued by SMS")]
RATINGS = [*(Column(f"r{score}", vi, en) for score, (vi, en) in RATING_NAMES.items()),
           Column("satisfied_pct", "Hài lòng (%)", "Satisfied (%)", "pct")]
INDEX_766 = Column("index_766_pct", "Chỉ số hài lòng QĐ 766 (%)", "Satisfaction index, Decision 766 (%)", "pct")
COUNTER_MEASURES = [
    Column("served", "Đã phục vụ", "Served"),
    *MEASURES[8:11], Column("paused_s", "Tạm nghỉ (phút)", "Paused (min)", "min"), *RATINGS]


def value(col: Column, raw):
    """A cell's value as the exports hold it: minutes rounded to 0.1, None when unmeasured."""
    if raw is None:
        return None
    if col.kind == "min":
        return round(raw / 60, 1)
    return raw


def _row(first: list, figures: dict, columns: list[Column]) -> list:
    ratings = figures.get("ratings", {})
    flat = {**figures, "r1": ratings.get("1"), "r2": ratings.get("2"), "r3": ratings.get("3")}
    flat.setdefault("satisfied_pct", satisfied_share(ratings) if ratings else None)
    flat.setdefault("index_766_pct", satisfaction_index(figures))
    return first + [value(c, flat.get(c.key)) for c in columns]


def figures_tables(fig: dict, cfg: SiteConfig) -> list[Table]:
    """The figures page: total, per service, per hour of issue, per counter, per day."""
    names = {s.id: s.name for s in cfg.services}
    counters = {c.id: c.name for c in cfg.counters}
    label = Column("name", "Tên", "Name", "text")
    total = Table("total", "Tổng cộng", "Total", [label, *MEASURES, *RATINGS, INDEX_766],
                  [_row(["Tổng / Total"], fig["total"], MEASURES + RATINGS + [INDEX_766])])
    services = Table("services", "Theo dịch vụ", "By service", [Column("id", "Mã", "Code", "text"), label,
                                                                  *MEASURES, *BY_SOURCE, *RATINGS, INDEX_766])
    for sid, f in fig["services"].items():
        services.rows.append(_row([sid, names[sid].vi if sid in names else sid], f,
                                  MEASURES + BY_SOURCE + RATINGS + [INDEX_766]))
    hours = Table("hours", "Theo giờ lấy số", "By hour of issue", [Column("hour", "Giờ", "Hour", "text"), *MEASURES])
    for h, f in fig["hours"].items():
        hours.rows.append(_row([f"{int(h):02d}:00"], f, MEASURES))
    per_counter = Table("counters", "Theo quầy", "By counter", [Column("id", "Mã", "Code", "text"), label,
                                                                 *COUNTER_MEASURES])
    for cid, f in fig["counters"].items():
        per_counter.rows.append(_row([cid, counters[cid].vi if cid in counters else cid], f, COUNTER_MEASURES))
    days = Table("days", "Theo ngày", "By day",
                 [Column("day", "Ngày", "Day", "text"), *MEASURES, RATINGS[0], INDEX_766])
    for d, f in fig["days"].items():
        days.rows.append(_row([d], f, [*MEASURES, RATINGS[0], INDEX_766]))
    return [total, services, hours, per_counter, days]


def to_csv(tables: list[Table]) -> bytes:
    """The tables one after another in one CSV, a blank row between them, with a BOM and CRLF so that Excel opens the
    Vietnamese text correctly."""
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    for i, t in enumerate(tables):
        if i:
            w.writerow([])
        w.writerow(cells([f"{t.vi} / {t.en}"]))
        w.writerow(cells([f"{c.vi} / {c.en}" for c in t.columns]))
        for row in t.rows:
            w.writerow(cells(["" if v is None else v for v in row]))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(tables: list[Table], title: str) -> bytes:
    """Run in a child process by the console (``motcua.child``): openpyxl stays out of its memory."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    wb = Workbook()
    wb.remove(wb.active)
    bold = Font(bold=True)
    for t in tables:
        ws = wb.create_sheet(t.vi[:31])
        ws.append(cells([f"{title} — {t.vi} / {t.en}"]))
        ws["A1"].font = bold
        ws.append(cells([f"{c.vi} / {c.en}" for c in t.columns]))
        for heading in ws[2]:
            heading.font = bold
        for row in t.rows:
            ws.append(cells(row))
        for i, c in enumerate(t.columns, start=1):
            ws.column_dimensions[ws.cell(2, i).column_letter].width = 14 if c.kind != "text" else 28
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
