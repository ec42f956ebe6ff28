"""The tour's parts: what a citizen (and a technician) does at the kiosk, touch by touch.

The lookup part expects the sample dossiers (config/sample-dossiers.csv) in the hub.
"""
from __future__ import annotations

from .. import guidance

FOUND = "000.00.53.H48-250915-0012"          # in config/sample-dossiers.csv
UNKNOWN = "000.00.53.H48-250101-0001"        # a well-formed code no dossier has
SCANNED = "https://dichvucong.quangngai.gov.vn/tra-cuu?ma=000.00.53.H48-251112-0003"


def keys_of(code: str) -> str:
    """What a citizen presses: the dots and dashes come by themselves."""
    return code.replace(".", "").replace("-", "")


def scan(app, text: str) -> None:
    """What a barcode scanner does: one key at a time, then Enter."""
    for ch in text:
        app.root_window.dispatch("on_textinput", ch)
    app.root_window.dispatch("on_keyboard", 13, 40, None, [])


def take(t) -> None:
    """Home -> Lấy số thứ tự -> a service tapped three times quickly -> the priority toggle ->
    "Đúng" -> a priority ticket."""
    app = t.app

    def result_shows(label_before: str):
        return lambda: app.root.current == "result" and t.screen("result").label not in ("", label_before)

    def record_result(key: str, shot: str):
        return lambda: (t.shot(shot), t.summary.update({key: t.screen("result").label},
                                                        **({"headline": t.screen("result").headline}
                                                           if key == "label" else {})))

    def count_taps() -> None:
        original = app.model.take
        app.model.take = lambda *a, **k: t.summary.__setitem__(
            "taps_accepted", t.summary["taps_accepted"] + (1 if original(*a, **k) else 0)) or True

    t.add(
        (0.5, lambda: app.model.hub_ok and t.tiles(), lambda: (count_taps(), t.desk.check_printer(),
                                                                      app.go("home"), t.shot("home"))),
        (0.0, lambda: True, lambda: t.summary.update(home_buttons=t.buttons_shown())),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.take)),
        (0.3, lambda: app.root.current == "services",
         lambda: (t.shot("services"), t.summary.update(enabled=len(t.tiles()),
                                                       more=t.screen("services").ids.more.text))),
        (0.0, lambda: True, lambda: t.tap(t.tiles()[0])),      # a triple tap, 80 ms apart, as a hand does
        (0.08, lambda: True, lambda: t.tap(t.tiles()[0])),
        (0.08, lambda: True, lambda: t.tap(t.tiles()[0])),
        (0.0, result_shows(""), record_result("label", "result")),
        (0.0, lambda: True, lambda: listen(t)),
        (0.2, lambda: app.speaker.sound.saved >= 1 or app.speaker.sound.problem is not None, lambda: listened(t)),
        (0.0, lambda: True, lambda: app.go("services")),
        (0.0, lambda: app.root.current == "services", lambda: t.tap(t.screen("services").ids.priority)),
        (0.3, lambda: t.popup() is not None, lambda: t.shot("priority")),
        (0.0, lambda: True, lambda: t.tap(t.button("Đúng"))),
        (0.0, lambda: t.popup() is None,
         lambda: t.summary.update(priority=t.screen("services").ids.priority.state)),
        (1.6, lambda: True, lambda: t.tap(t.tiles()[1])),      # past the one-tap guard
        (0.0, lambda: result_shows(t.summary.get("label", ""))(), lambda: (
            record_result("priority_label", "result-priority")(),
            t.summary.update(priority_details=t.screen("result").details))),
    )


def lookup(t) -> None:
    """Every outcome of a dossier lookup, typed on the on-screen keyboard and scanned."""
    app, s = t.app, t.summary
    s["lookups"] = {}

    def record(kind: str, shot: str):
        def do() -> None:
            if app.root.current == "dossier":
                d = t.screen("dossier")
                s["lookups"][kind] = {"status": d.status, "timeliness": d.timeliness,
                                      "rows": {r.name: r.value for r in reversed(d.ids.rows.children)}}
            else:
                s["lookups"][kind] = {"title": t.screen("problem").title, "body": t.screen("problem").body}
            t.shot(shot)
        return do

    t.add(
        (0.3, lambda: app.model.hub_ok, lambda: app.go("home")),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.lookup)),
        (0.2, t.showing("lookup"), lambda: t.shot("lookup")),
        (0.0, lambda: True, lambda: t.type_keys(keys_of(FOUND))),
        (0.1, lambda: True, lambda: (s.update(typed=app.typed), t.shot("lookup-typed"))),
        (0.0, lambda: True, lambda: t.tap(t.screen("lookup").ids.search)),
        (0.2, t.showing("dossier"), record("found", "dossier")),
        (0.0, lambda: True, lambda: (app.set_lang("en"), app.show_dossier(app.last_dossier))),
        (0.2, t.showing("dossier"), lambda: (s.update(english=t.screen("dossier").status), t.shot("dossier-en"),
                                      app.set_lang("vi"))),
        (0.0, lambda: True, lambda: t.tap(t.button("Tra cứu hồ sơ khác"))),
        (0.1, t.showing("lookup"), lambda: t.type_keys(keys_of(UNKNOWN))),
        (0.0, lambda: True, lambda: t.tap(t.screen("lookup").ids.search)),
        (0.2, t.showing("problem"), record("not_found", "not-found")),
        (0.0, lambda: True, lambda: t.tap(t.button("Nhập lại"))),
        (0.1, t.showing("lookup"), lambda: (s.update(kept=app.typed), t.tap(t.screen("lookup").ids.erase),
                                     t.type_keys("12345"), t.tap(t.screen("lookup").ids.search))),
        (0.2, t.showing("problem"), record("invalid_code", "invalid")),
        (0.0, lambda: True, lambda: (app.go("home"), scan(app, SCANNED))),     # a scan from the home screen
        (0.2, t.showing("dossier"), lambda: (s.update(scanned_code=app.typed), record("scanned", "dossier-scanned")())),
        (0.0, lambda: True, lambda: (app.model.set_link(False), app.look_up(FOUND))),   # the hub out of reach
        (0.2, t.showing("problem"), lambda: (record("unavailable", "unavailable")(), app.go("services"))),
        (0.0, lambda: bool(app.banner) and not t.buttons_shown()[3:],            # Back, Listen, Priority
         lambda: (t.shot("services-busy"), app.model.set_link(True))),
    )


def limit(t) -> None:
    """Lookups until the hub says "too many" (10 a minute a kiosk): after the lookup part, whose
    record of each outcome it extends."""
    app = t.app

    def spend_allowance() -> None:
        if not (app.root.current == "problem" and t.screen("problem").title == "Tra cứu quá nhiều lần"):
            app.look_up(UNKNOWN)

    def record() -> None:
        t.summary["lookups"]["rate_limited"] = {"title": t.screen("problem").title}
        t.shot("rate-limited")

    t.add(
        (0.3, lambda: app.model.hub_ok and not app.looking, lambda: app.look_up(UNKNOWN)),
        *[(0.0, lambda: app.root.current == "problem" and not app.looking, spend_allowance) for _ in range(12)],
        (0.2, lambda: app.root.current == "problem" and not app.looking, record),
    )


def large(t) -> None:
    """The large, high-contrast mode, turned on from home: the same flows, every screen measured
    against what it was in the normal mode (run it after ``take`` and ``lookup``); then off."""
    app, s = t.app, t.summary

    t.add(
        (0.3, lambda: app.model.hub_ok, lambda: app.go("home")),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.large)),
        (0.2, lambda: app.large, lambda: (s.update(large={"text_scale": round(app.f / app.u, 2)}),
                                          t.shot("large-home"))),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.take)),
        (0.3, t.showing("services"), lambda: (t.shot("large-services"), app.model.set_link(False),
                                              s["large"].update(more=t.screen("services").ids.more.text))),
        (0.0, lambda: bool(app.banner) and not t.tiles(), lambda: (t.shot("large-services-busy"),
                                                                 app.model.set_link(True))),
        (0.0, lambda: not app.banner and t.tiles(), lambda: t.tap(t.tiles()[0])),
        (0.0, t.showing("result"), lambda: (s["large"].update(label=t.screen("result").label), t.shot("large-result"))),
        (0.0, lambda: True, lambda: app.go("services")),
        (0.0, t.showing("services"), lambda: t.tap(t.screen("services").ids.priority)),
        (0.3, lambda: t.popup() is not None, lambda: t.shot("large-priority")),
        (0.0, lambda: True, lambda: t.tap(t.button("Không"))),
        (0.0, lambda: t.popup() is None, lambda: app.go("home")),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.lookup)),
        (0.2, t.showing("lookup"), lambda: t.type_keys(keys_of(FOUND))),
        (0.1, lambda: True, lambda: (s["large"].update(typed=app.typed), t.shot("large-lookup-typed"))),
        (0.0, lambda: True, lambda: t.tap(t.screen("lookup").ids.search)),
        (0.2, t.showing("dossier"), lambda: (s["large"].update(status=t.screen("dossier").status),
                                             t.shot("large-dossier"))),
        (0.0, lambda: True, lambda: t.tap(t.button("Tra cứu hồ sơ khác"))),
        (0.1, t.showing("lookup"), lambda: (t.shot("large-lookup"), t.type_keys(keys_of(UNKNOWN)))),
        (0.0, lambda: True, lambda: t.tap(t.screen("lookup").ids.search)),
        (0.2, t.showing("problem"), lambda: t.shot("large-not-found")),
        (0.0, lambda: True, lambda: app.go("home")),
        (0.1, t.showing("home"), lambda: t.tap(t.screen("home").ids.large)),          # and off again
        (0.1, lambda: True, lambda: s["large"].update(switched_off=not app.large,
                                                      text_scale_after=round(app.f / app.u, 2))),
    )


def unattended(t) -> None:
    """The keys that would close a window, the idle reset, and the technician's way out."""
    app, s = t.app, t.summary

    def keys() -> None:
        win = app.root_window
        s["keys_handled"] = [bool(win.dispatch("on_keyboard", k, 0, None, [])) for k in (27, 282)]
        s["close_refused"] = bool(win.dispatch("on_request_close"))

    def corner_taps() -> None:
        for _ in range(5):
            t.tap_at(5, app.root_window.height - 5)

    def pin(digits: str) -> None:
        pad = t.popup().ids.pad
        for d in digits:
            t.tap(next(b for b in pad.children if b.text == d))
        t.tap(t.button("OK"))

    t.add(
        (0.3, lambda: True, lambda: (app.go("home"), keys())),
        (0.3, lambda: True, lambda: s.update(after_keys={"screen": app.root.current,
                                                         "window_children": len(app.root_window.children)})),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.lookup)),
        (0.1, lambda: app.root.current == "lookup",
         lambda: (t.type_keys("000"), app.set_lang("en"), app.set_large(True))),
        (0.0, lambda: True, lambda: s.update(before_idle={"screen": app.root.current, "typed": app.typed,
                                                          "lang": app.lang, "large": app.large})),
        (app.kiosk.idle_reset_s - 0.5, lambda: app.root.current == "home",
         lambda: s.update(after_idle={"screen": app.root.current, "typed": app.typed, "lang": app.lang,
                                      "large": app.large, "text_scale": round(app.f / app.u, 2)})),
        (0.0, lambda: True, lambda: t.tap(t.screen("home").ids.take)),           # a popup left open
        (0.1, lambda: app.root.current == "services", lambda: t.tap(t.screen("services").ids.priority)),
        (app.kiosk.idle_reset_s - 0.5, lambda: app.root.current == "home" and t.popup() is None,
         lambda: s.update(popup_closed_by_idle=True)),
        (0.0, lambda: True, corner_taps),
        (0.3, lambda: t.popup() is not None, lambda: t.shot("pin")),
        (0.0, lambda: True, lambda: pin("0000")),
        (0.1, lambda: True, lambda: s.update(wrong_pin=t.popup().message)),
        (0.0, lambda: True, lambda: pin(str(app.kiosk.maintenance_pin))),
        (10.0, lambda: False, lambda: None),        # the app has stopped by now; if not, the tour says stuck
    )


def listen(t) -> None:
    """Press "Nghe hướng dẫn" as a citizen would; the speech is kept beside the screenshots."""
    t.app.speaker.sound.save_dir = str(t.out / "speech")
    t.tap(t.button("Nghe hướng dẫn"))


def listened(t) -> None:
    """Record in the summary what "Listen" said on the result screen and the WAV files it saved, or the sound problem it
    met instead."""
    app = t.app
    t.summary["listened"] = {"text": guidance.for_screen(app, "result"), "problem": app.speaker.sound.problem,
                             "wavs": sorted(p.name for p in (t.out / "speech").glob("*.wav"))}


def card(t) -> None:
    """ID cards scanned on the take-a-number screens (``--cards``: an elderly citizen's QR text, then
    a younger one's): the note, priority by age, the per-person limits per service and in all (in
    both languages), a citizen without a card, and the card forgotten on Back."""
    app = t.app
    old, young = t.cards
    out = t.summary["cards"] = {}

    def tile(service: str):
        return next(w for w in t.tiles() if w.service_id == service)

    def record(key: str) -> None:
        if app.root.current == "result":
            r = t.screen("result")
            out[key] = {"label": r.label, "details": r.details, "ticket": app.last_ticket,
                        "said": guidance.for_screen(app, "result")}
        else:
            p = t.screen("problem")
            out[key] = {"title": p.title, "body": p.body, "kind": p.kind, "buttons": t.buttons_shown(),
                        "said": guidance.for_screen(app, "problem")}
        t.shot(f"card-{key}")

    def start(text: str | None) -> None:
        """On the home screen: a card scanned, or "Lấy số thứ tự" without one."""
        scan(app, text) if text else t.tap(t.screen("home").ids.take)

    def ticket(text: str | None, service: str, key: str, lang: str = "vi") -> list:
        return [
            (1.6, lambda: app.model.hub_ok and not app.model.busy, lambda: (app.set_lang(lang), app.go("home"))),
            (0.1, t.showing("home"), lambda: start(text)),
            (0.2, t.showing("services"), lambda: (out.update({f"{key}_note": app.card_note,
                                                              f"{key}_said": guidance.for_screen(app, "services")}),
                                                  t.shot(f"card-{key}-services"), t.tap(tile(service)))),
            (0.0, lambda: (app.root.current == "problem" or (app.root.current == "result"
                                                             and t.screen("result").label != "")),
             lambda: (record(key), app.set_lang("vi"))),
        ]

    t.add(
        *ticket(old, "LAND", "old"),
        *ticket(old, "LAND", "old_again"),
        *ticket(old, "LAND", "old_again_en", "en"),
        *ticket(young, "LAND", "young"),
        *ticket(young, "JUST", "young_just"),
        *ticket(young, "TAX", "young_third"),
        *ticket(None, "TAX", "no_card"),
        (0.0, lambda: True, lambda: app.go("home")),
        (0.1, t.showing("home"), lambda: start(old)),
        (0.2, t.showing("services"), lambda: t.tap(t.button("‹ Quay lại"))),
        (0.2, t.showing("home"), lambda: t.tap(t.screen("home").ids.take)),
        (0.2, t.showing("services"), lambda: out.update(note_after_back=app.card_note,
                                                        card_after_back=app.model.card is not None)),
    )
