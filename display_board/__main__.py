"""python -m display_board --config FILE --id BOARD [--check-config | --screenshot PNG |
--announce-test TICKET COUNTER --wav PATH]"""
from __future__ import annotations

import os
import sys

# Our options are ours: Kivy must not parse sys.argv, nor log to files, in any process of ours.
os.environ.setdefault("KIVY_NO_ARGS", "1")
os.environ.setdefault("KIVY_NO_FILELOG", "1")

import logging  # noqa: E402
from pathlib import Path  # noqa: E402

from motcua.config import Display, SiteConfig  # noqa: E402
from motcua.contract import ANY, component_name  # noqa: E402
from motcua.exits import EX_CONFIG  # noqa: E402
from motcua.kivyrun import configure_window, run_app  # noqa: E402
from motcua.link import Link  # noqa: E402
from motcua.site_sync import SiteSync  # noqa: E402
from motcua.speech import announcement, voice_config  # noqa: E402
from motcua.startup import begin, parser  # noqa: E402

from .model import BoardModel  # noqa: E402
from .voice import Announcer  # noqa: E402

log = logging.getLogger(__package__)


def main(argv: list[str] | None = None) -> int:
    """``python -m display_board``: run the wall screen for ``--id``, draw one screenshot, or (``--announce-test``)
    write one call's sound to a WAV without a window. 2 for a wrong site file, 78 when the broker credentials cannot
    be read."""
    p = parser("python -m display_board", "motcua wall screen: now serving, with voice calls", with_id=True)
    p.add_argument("--screenshot", metavar="PNG", help="draw the first screen, save it as PNG, exit")
    p.add_argument("--announce-test", nargs=2, metavar=("TICKET", "COUNTER"),
                   help="print the phrase as spoken and write the announcement (chime included) to --wav")
    p.add_argument("--wav", metavar="PATH", help="with --announce-test: where to write the WAV")
    p.add_argument("--portrait", action="store_true", help="a screen standing upright (1080x1920)")
    args, cfg, entry = begin(p, argv, "displays")
    if isinstance(cfg, int):
        return cfg
    if args.announce_test:
        return announce_test(entry, *args.announce_test, args.wav)
    return run(cfg, entry, args)


def announce_test(entry: Display, ticket: str, counter: str, wav: str | None) -> int:
    """For technicians: checks the phrase and the speakers' file without the screen."""
    try:
        text, data = announcement(ticket, counter, voice_config(entry))
    except (RuntimeError, ValueError) as e:
        print(f"không tạo được thông báo / cannot make the announcement: {e}", file=sys.stderr)
        return 1
    print(text)
    if wav:
        Path(wav).write_bytes(data)
        print(f"đã ghi / written: {wav}")
    return 0


def run(cfg: SiteConfig, entry: Display, args) -> int:
    """Open the window and run the board until it is closed or stopped; a screenshot run takes its own MQTT identity and
    stays silent, so it can run beside the real board."""
    configure_window(args.portrait, bool(args.screenshot))
    from .app import BoardApp

    model = BoardModel(cfg, entry)
    announcer = Announcer(voice_config(entry)) if not args.screenshot else None
    # a screenshot beside a running board must not share its MQTT identity (the broker would drop
    # one for the other) nor its status (it would mark the real board offline when it exits)
    component = component_name("display", args.id) + ("-screenshot" if args.screenshot else "")

    def on_message(msg) -> None:
        call = model.on_message(msg.topic, bytes(msg.payload))
        if call:
            app.changed()
            if announcer is not None:
                announcer.announce(*call)

    t = model.t
    try:
        link = Link(cfg, component, on_message=on_message, on_connect=lambda: model.set_link(True),
                    on_disconnect=lambda: model.set_link(False),
                    subscriptions=(t.counter_state(ANY), t.service_state(ANY), t.call, t.calls_recent,
                                   t.status("hub")))
    except OSError as e:
        log.error("không đọc được thông tin đăng nhập / cannot read broker credentials: %s", e)
        return EX_CONFIG
    app = BoardApp(model, cfg.site.name, entry.notice, cfg.site.tz)

    def take(new: SiteConfig) -> list[str]:
        """The counters shown, their names, the notice and the voice, live (SPEC 2.1), on Kivy's thread."""
        mine = new.entry("displays", args.id)
        model.reconfigure(new, mine)
        app.retitle(new.site.name, mine.notice)
        if announcer is not None:
            announcer.cfg = voice_config(mine)
        app.changed()
        return []

    from kivy.clock import Clock
    SiteSync(cfg, link, take, section="displays", ident=args.id, restart=(("site", "id"), ("site", "timezone")),
             schedule=lambda work: Clock.schedule_once(lambda dt: work(), 0))
    return run_app(app, link, link.start, link.stop, args.screenshot, "board showing", log)


if __name__ == "__main__":
    sys.exit(main())
