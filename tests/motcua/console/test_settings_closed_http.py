"""A supervisor closes a service for today on the services page (SPEC 12.1) of a real console, against a real hub
and mosquitto: the hub refuses its numbers with the reason, the live hall says why it is closed, and unticking the
box opens it again; a tick without a reason is refused beside the reason's field."""
from devtools.testbed import wait_for
from tests.motcua.console.test_settings_http import beside, page, post, supervisor

BOX, VI, EN = "services[0].closed.date", "services[0].closed.reason.vi", "services[0].closed.reason.en"
REASON = "Cán bộ nghỉ ốm <script>alert(2)</script>"


def issue_land(hall) -> dict:
    return hall.client.request(hall.client.t.issue, {"service": "LAND"}, timeout=5)


def test_closed_today_on_the_page_refused_by_the_hub_shown_in_the_hall_and_opened_again(settings_hall):
    hall = settings_hall
    web = supervisor(hall)
    text, form = page(web, "/settings/services")
    assert "Đóng hôm nay" in beside(text, BOX) and BOX not in form, "the box is there, unticked"
    form.update({BOX: ["on"], VI: [REASON], EN: ["The clerk is ill"]})
    status, headers, _ = post(web, "/settings/services", form)
    assert status == 303 and headers["location"] == "/settings/services?saved=2"
    text, form = page(web, "/settings/services?saved=2")
    assert form[BOX] == ["on"] and "Cán bộ nghỉ ốm &lt;script&gt;alert(2)&lt;/script&gt;" in beside(text, VI)
    reply = wait_for(lambda: (r := issue_land(hall))["ok"] is False and r, 10, "LAND refused")
    assert reply["error"]["code"] == "service_closed" and reply["error"]["text"]["vi"].endswith(REASON)
    shown = wait_for(lambda: "Cán bộ nghỉ ốm &lt;script&gt;" in (t := web.get("/hall")[2].decode()) and t, 10,
                     "the reason in the live hall")
    assert "(Ngừng phát số: Cán bộ nghỉ ốm &lt;script&gt;alert(2)&lt;/script&gt;)" in shown
    del form[BOX]
    status, headers, _ = post(web, "/settings/services", form)
    assert status == 303 and headers["location"] == "/settings/services?saved=3"
    assert wait_for(lambda: (r := issue_land(hall))["ok"] and r, 10, "LAND open")["ticket"]["label"] == "A001"


def test_a_tick_without_a_reason_is_refused_beside_the_reason(settings_hall):
    hall = settings_hall
    web = supervisor(hall)
    _, form = page(web, "/settings/services")
    form[BOX] = ["on"]
    status, _, text = post(web, "/settings/services", form)
    assert status == 400 and "phải dài từ 1 đến 160 ký tự" in beside(text, VI)
    assert 'checked' in beside(text, BOX), "the tick is kept for the retry"
    assert issue_land(hall)["ok"], "nothing saved"
