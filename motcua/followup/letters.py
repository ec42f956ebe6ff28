"""The papers the follow-up writes (SPEC section 11), as PDF with fpdf2 and Liberation Serif:

- the letter of apology and new appointment for an extended dossier, laid out as Decree
  30/2020/NĐ-CP lays out an official letter (agency and "Số:", the national motto, place and
  date, title, "Kính gửi:", body, the signer, "Nơi nhận:"); its title and wording from the config;
- the overdue watch: for each agency its open dossiers due today or on the next working day and
  those overdue, as one PDF (the centre's reminder) and one CSV.
"""
from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from ..config.followup import Letter
from ..fill import render
from ..sheets import cells
from ..watch import WatchRow
from .hours import date_in_words
from .papers import Apology
from .texts import clean

FONT_DIRS = (Path("/usr/share/fonts/truetype/liberation2"), Path("/usr/share/fonts/truetype/liberation"))
MOTTO = ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc")
NEXT = dict(new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def font_path(style: str = "Regular") -> Path:
    """The Liberation Serif file of ``style`` (Regular, Bold, Italic…), metrically like Times New Roman as Decree
    30/2020 wants for official letters; FileNotFoundError naming the package to install when it is missing."""
    for d in FONT_DIRS:
        if (d / f"LiberationSerif-{style}.ttf").exists():
            return d / f"LiberationSerif-{style}.ttf"
    raise FileNotFoundError("Liberation Serif is missing: apt-get install fonts-liberation2")


def _pdf(orientation: str = "P") -> FPDF:
    """A4 with the decree's margins (top and bottom 20 mm, left 30, right 15), Liberation Serif."""
    pdf = FPDF(orientation=orientation, unit="mm", format="A4")
    pdf.set_margins(30 if orientation == "P" else 20, 20, 15)
    pdf.set_auto_page_break(True, margin=20)
    for style, name in (("", "Regular"), ("B", "Bold"), ("I", "Italic"), ("BI", "BoldItalic")):
        pdf.add_font("Serif", style, str(font_path(name)))
    pdf.add_page()
    return pdf


def _heading(pdf: FPDF, cfg: Letter, number: str, day: date) -> None:
    """The two columns above every letter: the agency and its number; the motto, place and date."""
    top, left_w = pdf.get_y(), 70
    pdf.set_font("Serif", "", 12)
    if cfg.parent_agency:
        pdf.multi_cell(left_w, 6, cfg.parent_agency.upper(), align="C", **NEXT)
    pdf.set_font("Serif", "B", 12)
    pdf.multi_cell(left_w, 6, cfg.agency.upper(), align="C", **NEXT)
    y = pdf.get_y() + 1
    pdf.line(pdf.l_margin + left_w / 2 - 12, y, pdf.l_margin + left_w / 2 + 12, y)
    pdf.set_y(y + 2)
    pdf.set_font("Serif", "", 13)
    pdf.cell(left_w, 7, f"Số: {number}", align="C", **NEXT)
    left_bottom = pdf.get_y()
    right_x, right_w = pdf.l_margin + left_w, pdf.w - pdf.r_margin - pdf.l_margin - left_w
    pdf.set_xy(right_x, top)
    pdf.set_font("Serif", "B", 12)
    pdf.cell(right_w, 6, MOTTO[0], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Serif", "B", 13)
    pdf.cell(right_w, 7, MOTTO[1], align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    half = pdf.get_string_width(MOTTO[1]) / 2
    centre = right_x + right_w / 2
    pdf.line(centre - half, pdf.get_y(), centre + half, pdf.get_y())
    pdf.set_xy(right_x, pdf.get_y() + 3)
    pdf.set_font("Serif", "I", 13)
    pdf.cell(right_w, 7, date_in_words(cfg.place, day), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_y(max(left_bottom, pdf.get_y()) + 8)


def _signature(pdf: FPDF, cfg: Letter, recipients: list[str]) -> None:
    y = pdf.get_y() + 6
    if y > pdf.h - 70:
        pdf.add_page()
        y = pdf.get_y()
    half = (pdf.w - pdf.l_margin - pdf.r_margin) / 2
    pdf.set_xy(pdf.l_margin + half, y)
    pdf.set_font("Serif", "B", 13)
    pdf.multi_cell(half, 7, cfg.signer.upper(), align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    pdf.set_font("Serif", "I", 12)
    pdf.cell(half, 6, "(Ký, ghi rõ họ tên, đóng dấu)", align="C", new_x=XPos.LEFT, new_y=YPos.NEXT)
    if cfg.signer_name:
        pdf.set_xy(pdf.l_margin + half, pdf.get_y() + 22)
        pdf.set_font("Serif", "B", 13)
        pdf.cell(half, 7, cfg.signer_name, align="C")
    pdf.set_xy(pdf.l_margin, y)
    pdf.set_font("Serif", "BI", 12)
    pdf.cell(half, 6, "Nơi nhận:", **NEXT)
    pdf.set_font("Serif", "", 11)
    for r in recipients:
        pdf.cell(half, 5.5, f"- {r}", **NEXT)


def apology_letter(cfg: Letter, a: Apology, number: str, day: date, path: Path) -> Path:
    """Write a dossier's letter of apology for being late (Decree 30/2020 layout) as a PDF at ``path`` and return it;
    run in a child process (``in_a_child``) to keep fpdf2 out of the service's memory."""
    pdf = _pdf()
    _heading(pdf, cfg, number, day)
    pdf.set_font("Serif", "B", 14)
    pdf.multi_cell(0, 7.5, cfg.title.upper(), align="C", **NEXT)
    pdf.ln(5)
    pdf.set_font("Serif", "", 14)
    pdf.multi_cell(0, 7.5, f"Kính gửi: Ông/Bà {clean(a.applicant)}", align="C", **NEXT)
    pdf.ln(3)
    fields = {"agency_short": cfg.agency, "code": a.code, "procedure": clean(a.procedure),
              "received": a.received, "first_due": a.first_due or a.due, "due": a.due, "reason": clean(a.reason),
              "agency": clean(a.agency), "applicant": clean(a.applicant)}
    pdf.set_font("Serif", "", 13)
    for paragraph in render(cfg.body, fields).split("\n"):
        pdf.set_x(pdf.l_margin)
        pdf.multi_cell(0, 7, "      " + paragraph.strip(), align="J", **NEXT)
    pdf.multi_cell(0, 7, "      Mọi thắc mắc xin liên hệ bộ phận tiếp nhận và trả kết quả. Trân trọng./.",
                   align="J", **NEXT)
    _signature(pdf, cfg, [f"Ông/Bà {clean(a.applicant)}", clean(a.agency) or "Cơ quan giải quyết", "Lưu: VT."])
    return _save(pdf, path)


WATCH_COLUMNS = ("Cơ quan / Agency", "Mã hồ sơ / Code", "Thủ tục / Procedure", "Người nộp / Applicant",
                 "Hạn trả / Due", "Tình trạng / State", "Xin lỗi trước hạn / Apology due")


def watch_report(cfg: Letter, rows: list[WatchRow], number: str, day: date, pdf_path: Path, csv_path: Path) -> None:
    """The day's reminder to each agency (one section each), and the same rows as CSV, whose cells from the imports
    are written as plain text (``motcua.sheets``)."""
    pdf = _pdf("L")
    _heading(pdf, cfg, number, day)
    pdf.set_font("Serif", "B", 14)
    pdf.multi_cell(0, 7.5, "VĂN BẢN NHẮC NHỞ HỒ SƠ SẮP ĐẾN HẠN VÀ QUÁ HẠN", align="C", **NEXT)
    pdf.set_font("Serif", "I", 12)
    pdf.multi_cell(0, 6, f"Danh sách ngày {day:%d/%m/%Y} — {len(rows)} hồ sơ", align="C", **NEXT)
    if not rows:
        pdf.ln(6)
        pdf.set_font("Serif", "", 13)
        pdf.multi_cell(0, 7, "Không có hồ sơ nào sắp đến hạn hoặc quá hạn.", align="C", **NEXT)
    for agency in sorted({r.agency for r in rows}):
        pdf.ln(4)
        pdf.set_font("Serif", "B", 13)
        pdf.multi_cell(0, 7, f"Kính gửi: {clean(agency) or 'Cơ quan giải quyết'}", **NEXT)
        pdf.set_font("Serif", "", 11)
        with pdf.table(col_widths=(52, 68, 45, 25, 42, 30), line_height=6, text_align="LEFT") as table:
            table.row(["Mã hồ sơ", "Thủ tục", "Người nộp", "Hạn trả", "Tình trạng", "Xin lỗi trước hạn"])
            for r in (r for r in rows if r.agency == agency):
                table.row([r.code, clean(r.procedure), clean(r.applicant), f"{r.due:%d/%m/%Y}", r.state,
                           "CẦN XIN LỖI" if r.apology_due else ""])
    _signature(pdf, cfg, ["Các cơ quan có tên trên", "Lưu: VT."])
    _save(pdf, pdf_path)
    tmp = csv_path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8-sig") as f:
        w = csv.writer(f)
        w.writerow(WATCH_COLUMNS)
        for r in rows:
            w.writerow(cells([r.agency, r.code, r.procedure, r.applicant, r.due.isoformat(), r.state,
                              "xin lỗi trước hạn" if r.apology_due else ""]))
    tmp.replace(csv_path)


def _save(pdf: FPDF, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    pdf.output(str(tmp))
    tmp.replace(path)
    return path
