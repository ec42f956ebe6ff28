"""The settings pages (SPEC 12.1, 2.1) over HTTP against a real hub, console and mosquitto, as a supervisor's
browser posts them: a service added with its hours is issuable, a wall screen added and its notice changed reach
``<R>/config``, two supervisors saving at once lose nothing, an invalid hour is refused beside its field, a rollback
restores the old value, and clerks, strangers and forged posts get nothing."""
import html
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

from PIL import Image

from devtools.testbed import ROOT, Spy, env, wait_for
from devtools.web import WebClient
from motcua.console.settings_form import SECTIONS
from tests.display_board.test_app import read_text


class FormReader(HTMLParser):
    """What a browser sends for the page's form ``form_id``: text boxes, hidden fields, ticked boxes, the chosen
    option and text areas, in page order."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self._area: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("id") == self.form_id
        if not self.inside:
            return
        if tag == "input" and a.get("name") and (a.get("type") != "checkbox" or "checked" in a):
            self.fields.append((a["name"], a.get("value", "on")))
        elif tag == "textarea":
            self._area = a["name"]
            self.fields.append((a["name"], ""))
        elif tag == "select":
            self._select = a["name"]
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a["value"]))

    def handle_data(self, data):
        if self._area is not None:
            name, text = self.fields[-1]
            self.fields[-1] = (name, text + data)

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._area = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self.inside = False


def form_of(body: bytes, form_id: str = "settings-form") -> dict:
    reader = FormReader(form_id)
    reader.feed(body.decode("utf-8"))
    out: dict = {}
    for name, value in reader.fields:
        out.setdefault(name, []).append(value)
    return out


def post(web: WebClient, path: str, fields: dict) -> tuple[int, dict, str]:
    """Post a form as a browser does, a name given several times (ticked ids) sent several times."""
    from urllib.parse import urlencode
    c = web.connection()
    body = urlencode([(k, v) for k, values in fields.items() for v in values])
    c.request("POST", path, body=body, headers={**web.cookie_header(), "Origin": web.base,
                                                 "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    out = r.status, {k.lower(): v for k, v in r.getheaders()}, r.read().decode("utf-8")
    c.close()
    return out


def supervisor(hall) -> WebClient:
    web = WebClient(hall.base)
    assert web.login("giamsat") == 303
    return web


def page(web: WebClient, path: str) -> tuple[str, dict]:
    status, _, body = web.get(path)
    assert status == 200, body[:500]
    return body.decode("utf-8"), form_of(body)


def current(web: WebClient) -> tuple[int, str]:
    """The current version and who saved it, as the versions page lists it."""
    text, _ = page(web, "/settings/versions")
    m = re.search(r'<tr data-version="(\d+)"[^>]*>.*?<td>[^<]*</td><td>([^<]*)</td>', text, re.S)
    return int(m.group(1)), m.group(2)


def beside(text: str, name: str) -> str:
    """The text of the field box of input ``name``: its label, input and the problems shown beside it."""
    m = re.search(rf'<div class="field[^"]*" data-name="{re.escape(html.escape(name))}">(.*?)</div>', text, re.S)
    assert m, f"no field {name}"
    return m.group(1)


def test_a_service_added_with_its_hours_is_issuable_and_the_page_says_who_saved_it(settings_hall):
    hall = settings_hall
    web = supervisor(hall)
    text, form = page(web, "/settings/services")
    assert "Phiên bản 1" in text and "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "<script>alert" not in text
    form.update({"services[2].id": ["PASSPORT"], "services[2].name.vi": ["Hộ chiếu <i>mới</i>"],
                 "services[2].name.en": ["Passports"], "services[2].prefix": ["P"], "services[2].first": ["1"],
                 "services[2].last": ["999"], "services[2].hours": ["00:00-23:59"]})
    status, headers, _ = post(web, "/settings/services", form)
    assert status == 303 and headers["location"] == "/settings/services?saved=2"
    text, _ = page(web, "/settings/services?saved=2")
    assert "Đã lưu: phiên bản 2" in text and "Phiên bản 2, do giamsat" in text
    assert "Hộ chiếu &lt;i&gt;mới&lt;/i&gt;" in text, "markup typed in a name is shown as text"
    assert current(web) == (2, "giamsat")
    reply = wait_for(lambda: (r := hall.client.request(hall.client.t.issue, {"service": "PASSPORT"}, timeout=5))
                     .get("ok") and r, 10, "a number of the new service")
    assert reply["ticket"]["label"] == "P001"


def test_an_invalid_hour_is_refused_beside_its_field_with_the_input_kept_and_nothing_saved(settings_hall):
    hall = settings_hall
    web = supervisor(hall)
    _, form = page(web, "/settings/services")
    form["services[1].hours"] = ["08:00-07:00, 13:00-17:00"]
    status, _, text = post(web, "/settings/services", form)
    assert status == 400 and "Chưa lưu: có giá trị không hợp lệ" in text
    box = beside(text, "services[1].hours")
    assert "08:00-07:00, 13:00-17:00" in box and "giờ kết thúc phải sau giờ bắt đầu" in box
    assert "a window must end" not in box, "the problem in the page's language only"
    assert "giờ kết thúc" not in beside(text, "services[0].hours")
    assert current(web)[0] == 1, "nothing saved"
    web.get("/lang/en?next=/settings/services")
    _, form = page(web, "/settings/services")
    form["services[1].hours"] = ["08:00-07:00, 13:00-17:00"]
    status, _, text = post(web, "/settings/services", form)
    box = beside(text, "services[1].hours")
    assert status == 400 and "a window must end after it starts" in box and "giờ kết thúc" not in box


def test_two_supervisors_saving_at_once_the_second_is_told_and_nothing_is_lost(settings_hall):
    hall = settings_hall
    first, second = supervisor(hall), supervisor(hall)
    _, a = page(first, "/settings/services")
    _, b = page(second, "/settings/services")
    a["services[0].daily_limit"], b["services[1].daily_limit"] = ["40"], ["50"]
    assert post(first, "/settings/services", a)[0] == 303
    status, _, text = post(second, "/settings/services", b)
    assert status == 409 and "Người khác (giamsat) đã lưu phiên bản 2" in text
    again = form_of(text.encode())
    assert again["services[0].daily_limit"] == ["40"], "the first's change is shown"
    assert again["services[1].daily_limit"] == ["50"], "the second's input is kept"
    assert again["base_version"] == ["2"]
    assert "Người khác vừa đổi mục này" in beside(text, "services[0].daily_limit")
    assert "Người khác vừa đổi" not in beside(text, "services[1].daily_limit")
    assert post(second, "/settings/services", again)[0] == 303
    _, now = page(second, "/settings/services")
    assert (now["services[0].daily_limit"], now["services[1].daily_limit"], now["base_version"]) == \
        (["40"], ["50"], ["3"])


def test_a_wall_screen_added_then_its_notice_changed_reaches_the_config_topic_and_a_rollback_restores_it(settings_hall):
    hall = settings_hall
    spy = Spy(hall.cfg.mqtt.port, hall.client.t.config)
    try:
        web = supervisor(hall)
        _, form = page(web, "/settings/displays")
        form.update({"displays[0].id": ["d1"], "displays[0].counters": ["1", "2"],
                     "displays[0].notice": ["Nghỉ trưa 11:30-13:30"]})
        assert post(web, "/settings/displays", form)[0] == 303
        text, form = page(web, "/settings/displays")
        assert 'src="/settings/voice-sample/d1"' in text, "the wall screen's sample call"
        form["displays[0].notice"] = ["Chiều nay làm việc đến 17:30"]
        assert post(web, "/settings/displays", form)[1]["location"] == "/settings/displays?saved=3"
        on_topic = wait_for(lambda: next((p for p in reversed(spy.on(hall.client.t.config))
                                          if isinstance(p, dict) and p["version"] == 3), None), 10,
                            "version 3 on <R>/config")
        assert on_topic["document"]["displays"][0]["notice"] == "Chiều nay làm việc đến 17:30"
        assert on_topic["by"] == "giamsat"

        text, _ = page(web, "/settings/versions?v=3")
        assert "-  notice: Nghỉ trưa 11:30-13:30" in text and "+  notice: Chiều nay làm việc đến 17:30" in text
        text, form = page(web, "/settings/versions/2/rollback")
        assert "Quay lại phiên bản 2?" in text
        confirm = form_of(text.encode(), "rollback-form")
        status, headers, _ = post(web, "/settings/versions/2/rollback", confirm)
        assert status == 303 and headers["location"] == "/settings/versions?rolled=4"
        _, form = page(web, "/settings/displays")
        assert form["displays[0].notice"] == ["Nghỉ trưa 11:30-13:30"]
        assert post(web, "/settings/versions/2/rollback", confirm)[0] == 303, "the same confirm again: one change"
        assert current(web)[0] == 4
    finally:
        spy.close()


def test_clerks_strangers_and_forged_posts_get_nothing(settings_hall):
    hall = settings_hall
    clerk = WebClient(hall.base)
    assert clerk.login("quay1") == 303
    token = clerk.csrf("/counter/1")
    for path in ("/settings/services", "/settings/versions", "/settings/versions/1/rollback"):
        status, _, body = clerk.get(path)
        assert status == 403 and b"services[0]" not in body
    assert clerk.post("/settings/services", {"csrf": token, "base_version": "1",
                                             "services[0].daily_limit": "1"})[0] == 403
    stranger = WebClient(hall.base)
    status, headers, body = stranger.get("/settings/services")
    assert status == 303 and headers["location"].startswith("/login?next=") and b"services[0]" not in body
    web = supervisor(hall)
    for slug in SECTIONS:
        text, form = page(web, f"/settings/{slug}")
        assert "base_version" in form and 'class="bad' not in text, slug
    _, form = page(web, "/settings/services")
    form.pop("csrf")
    form["services[0].daily_limit"] = ["7"]
    assert post(web, "/settings/services", form)[0] == 403
    assert current(web)[0] == 1


def test_with_the_hub_away_the_page_says_so_and_keeps_the_typing_and_a_retry_saves_once(settings_hall):
    hall = settings_hall
    web = supervisor(hall)
    assert web.get("/lang/en?next=/settings/priority")[0] == 303
    text, form = page(web, "/settings/priority")
    assert "Priority" in text and "Save" in text and "Version 1, saved by the file (edited by hand)" in text
    form["priority.ratio"] = ["5"]
    hall.hub.stop()
    status, _, text = post(web, "/settings/priority", form)
    assert status == 503 and "The queue hub does not answer: nothing saved" in text
    assert form_of(text.encode())["priority.ratio"] == ["5"]
    assert form_of(text.encode())["command_id"] == form["command_id"], "the retry is the same change"
    hall.hub.start()
    wait_for(lambda: web.get("/settings/priority")[0] == 200, 20, "the hub back")
    assert post(web, "/settings/priority", form_of(text.encode()))[1]["location"] == "/settings/priority?saved=2"
    _, now = page(web, "/settings/priority")
    assert now["priority.ratio"] == ["5"]


def test_the_centres_name_saved_on_the_page_shows_on_a_kiosk_started_on_its_old_file(settings_hall):
    hall = settings_hall
    local = hall.tmp / "kiosk.yaml"
    shutil.copy(hall.cfg.path, local)          # the kiosk's board: its own copy, from before the change
    web = supervisor(hall)
    _, form = page(web, "/settings/centre")
    form["site.name"] = ["TRUNG TAM KHAI TRUONG"]
    assert post(web, "/settings/centre", form)[0] == 303
    png = hall.tmp / "kiosk.png"
    r = subprocess.run([sys.executable, "-m", "kiosk", "--config", str(local), "--id", "k1", "--screenshot", str(png)],
                       capture_output=True, text=True, cwd=ROOT, timeout=90,
                       env={**env(), "SDL_VIDEODRIVER": "offscreen", "KIVY_HOME": str(hall.tmp / "kivy")})
    assert r.returncode == 0, r.stderr[-2000:]
    text = read_text(Image.open(png)).upper()
    assert "KHAI TRUONG" in text and "PHUC VU" not in text, text
