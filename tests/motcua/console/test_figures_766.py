"""The satisfaction index of Decision 766/QĐ-TTg on the figures page and in its downloads (SPEC
12.1): a known day in a real hall — N tickets served, k rated 1 (dissatisfied) — shows (N-k)/N."""
import csv
import io
import re
import time

from openpyxl import load_workbook

from devtools.web import WebClient
from motcua.hub.figures import satisfaction_index

TITLE = "Chỉ số hài lòng QĐ 766 (%) / Satisfaction index, Decision 766 (%)"


def test_the_index_is_the_served_less_the_dissatisfied_over_the_served():
    assert satisfaction_index({"served": 8, "ratings": {"1": 2, "2": 1, "3": 0}}) == 75.0
    assert satisfaction_index({"served": 3, "ratings": {"1": 0, "2": 0, "3": 0}}) == 100.0
    assert satisfaction_index({"served": 0, "ratings": {"1": 0, "2": 0, "3": 0}}) is None, "nothing to score"
    assert satisfaction_index({"served": 1, "ratings": {"1": 2}}) == 0.0, "never below zero"


def _serve_day(hall, n: int, unhappy: int) -> None:
    """``n`` LAND tickets served at counter 1, the first ``unhappy`` of them rated 1 and one more rated 3."""
    for _ in range(n):
        hall.client.issue("LAND")
    for i in range(n):
        hall.client.command("1", "next")
        if i < unhappy + 1:
            hall.client.link.publish(hall.client.t.counter_rating("1"),
                                     {"score": 1 if i < unhappy else 3, "command_id": f"r-{i}"})
            time.sleep(0.3)           # a rating is an event, not a request: let it land before the next ticket
        hall.client.command("1", "done")


def test_a_known_day_shows_the_index_on_the_page_and_in_both_downloads(hall):
    n, k = 8, 2
    _serve_day(hall, n, k)
    boss = WebClient(hall.base)
    assert boss.login("giamsat") == 303
    status, _, body = boss.get("/figures?lang=vi")
    page = body.decode("utf-8")
    assert status == 200 and "Chỉ số hài lòng QĐ 766 (%)" in page
    total = re.search(r'data-table="total".*?<tbody>\s*<tr>(.*?)</tr>', page, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", total)
    assert cells[-1] == "75,0", cells                       # (8 - 2) / 8
    csv_rows = list(csv.reader(io.StringIO(boss.get("/figures.csv")[2].decode("utf-8-sig"))))
    header, row = csv_rows[1], csv_rows[2]
    at = header.index(TITLE)
    assert float(row[at]) == 100 * (n - k) / n and row[header.index("Đã phục vụ / Served")] == str(n)
    assert row[header.index("Không hài lòng / Dissatisfied")] == str(k)
    services = csv_rows[csv_rows.index([]) + 2:]
    land = next(r for r in services if r and r[0] == "LAND")
    assert float(land[services[0].index(TITLE)]) == 75.0, "per service too"
    wb = load_workbook(io.BytesIO(boss.get("/figures.xlsx")[2]))
    sheet = list(wb["Tổng cộng"].iter_rows(values_only=True))
    assert sheet[2][list(sheet[1]).index(TITLE)] == 75.0
