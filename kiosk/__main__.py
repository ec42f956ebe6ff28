"""python -m kiosk --config FILE --id KIOSK [--check-config | --screenshot PNG]

The kiosk: a Kivy touch screen where citizens take a number, printed on its ESC/POS printer, and
look up their dossier by its code (typed, or scanned from the receipt slip).
"""
from __future__ import annotations

import os
import sys

# Our options are ours: set before anything can load Kivy.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

import logging  # noqa: E402
import threading  # noqa: E402

from motcua.config import Kiosk  # noqa: E402
from motcua.contract import ANY, OFFLINE, ONLINE, Topics, component_name  # noqa: E402
from motcua.exits import EX_CONFIG  # noqa: E402
from motcua.hubclient import HubClient  # noqa: E402
from motcua.kivyrun import configure_window, run_app  # noqa: E402
from motcua.personal import SecretProblem, read_secret  # noqa: E402
from motcua.site_sync import SiteSync  # noqa: E402
from motcua.startup import begin, parser  # noqa: E402

from .dossier_lookup import DossierLookup  # noqa: E402
from .printing.flow import TicketDesk, publish_printer_state  # noqa: E402
from .printing.printer import TicketPrinter  # noqa: E402
from .taking import KioskModel  # noqa: E402

log = logging.getLogger(__package__)
PRINTER_POLL_S = 10.0


def wire(cfg, kiosk: Kiosk, component: str, publish_printer: bool = True):
    """The kiosk's parts without its window: (model, lookup, client, desk), the client not started.
    The tests and the bench use them as they are; ``assemble`` puts a window on them."""
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    model_ref: dict = {}
    client = HubClient(cfg, component, subscriptions=(t.service_state(ANY), t.status("hub")),
                       on_message=lambda m: model_ref["m"].on_message(m.topic, bytes(m.payload)),
                       on_connect=lambda: model_ref["m"].set_link(True),
                       on_disconnect=lambda: model_ref["m"].set_link(False))
    desk = TicketDesk(cfg, kiosk, client, TicketPrinter(kiosk.printer),
                      publish_printer_state(client, kiosk.id) if publish_printer else (lambda s: None))
    model = model_ref["m"] = KioskModel(cfg, desk, secret=site_secret(cfg))
    lookup = DossierLookup(client, component_name("kiosk", kiosk.id), lambda: model.hub_ok)
    return model, lookup, client, desk


def follow_the_hub(cfg, app, client: HubClient, ident: str) -> SiteSync:
    """Take newer site documents live (SPEC 2.1), on Kivy's thread: the services offered (names, new ones, closed or
    open), the centre's name, the lookup and large-text options. The printer, the voice and the screen were opened
    with the old entry: a change to them waits for the next start."""
    from kivy.clock import Clock

    def take(new) -> list[str]:
        mine, old = new.entry("kiosks", ident), app.kiosk
        app.model.reconfigure(new)
        app.kiosk, app.centre = mine, new.site.name
        app.lookup_enabled, app.large_enabled = mine.dossier_lookup, mine.large_mode
        return [f"kiosks.{key}: cần khởi động lại / taken at the next start"
                for key in ("printer", "speech", "screen") if getattr(mine, key) != getattr(old, key)]

    return SiteSync(cfg, client.link, take, section="kiosks", ident=ident,
                    restart=(("site", "id"), ("site", "timezone"), ("site", "secret_file")),
                    schedule=lambda work: Clock.schedule_once(lambda dt: work(), 0))


def site_secret(cfg) -> bytes | None:
    """The key for ID cards' hashes (SPEC 3.1); without it (none configured, or unreadable: said
    once in the log) the kiosk gives numbers as before and reads no card."""
    if cfg.site.secret_file is None:
        return None
    try:
        return read_secret(cfg.site.secret_file)
    except SecretProblem as e:
        log.error("%s — không đọc căn cước / ID cards are not read", e)
        return None


def assemble(cfg, kiosk: Kiosk, component: str, publish_printer: bool = True):
    """The kiosk wired with its window: (app, client, desk). ``python -m kiosk`` and the tour use it."""
    from .ui.app import KioskApp
    model, lookup, client, desk = wire(cfg, kiosk, component, publish_printer)
    app = KioskApp(model, lookup, kiosk, cfg.site.tz, speaker=speaker(kiosk, client, component))
    if app.speaker is not None:
        app.speaker.on_speaking = app.set_speaking
    return app, client, desk


def speaker(kiosk: Kiosk, client: HubClient, component: str):
    """The kiosk's voice, or None where its site file turns it off; a sound problem is said on
    ``status/<component>-sound`` (offline with the reason in the log, online once it plays)."""
    from .speaker import Speaker
    s = kiosk.speech
    if not s.enabled:
        return None
    topic = client.t.status(f"{component}-sound")
    return Speaker({"vi": s.voice_vi, "en": s.voice_en}, s.speed, s.device, s.save_dir,
                   on_problem=lambda p: client.link.publish(topic, OFFLINE if p else ONLINE, retain=True))


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk``: run the kiosk for ``--id`` full screen, or draw one screenshot; while the printer cannot
    print it is asked again every few seconds, so issuing resumes by itself. 78 when the broker credentials cannot be
    read."""
    p = parser("python -m kiosk", "motcua kiosk: take a number", with_id=True)
    p.add_argument("--screenshot", metavar="PNG", help="draw the first screen, save it as PNG, exit")
    p.add_argument("--portrait", action="store_true", help="a screen standing upright (1080x1920), whatever "
                   "kiosks[].screen.orientation says")
    args, cfg, kiosk = begin(p, argv, "kiosks")
    if isinstance(cfg, int):
        return cfg
    configure_window(args.portrait or kiosk.screen.orientation == "portrait", bool(args.screenshot))

    component = component_name("kiosk", args.id) + ("-screenshot" if args.screenshot else "")
    try:
        app, client, desk = assemble(cfg, kiosk, component, publish_printer=not args.screenshot)
    except OSError as e:
        log.error("không đọc được thông tin đăng nhập / cannot read broker credentials: %s", e)
        return EX_CONFIG

    def poll_printer() -> None:
        """At start, then while the printer cannot print: issuing resumes by itself."""
        while True:
            desk.check_printer()
            threading.Event().wait(PRINTER_POLL_S)
            while desk.state is not None and desk.state.can_print:
                threading.Event().wait(PRINTER_POLL_S)

    if not args.screenshot:
        threading.Thread(target=poll_printer, name="printer-poll", daemon=True).start()
    follow_the_hub(cfg, app, client, args.id)
    return run_app(app, client.link, lambda: client.start(wait=None), client.stop, args.screenshot,
                   "kiosk showing", log)


if __name__ == "__main__":
    sys.exit(main())
