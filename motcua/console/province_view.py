"""The province's view of its halls (SPEC section 13): a console started with ``console.province``
reads every listed hall's state from the province's broker and shows them side by side, live,
read-only.

Each hall is a ``Hall`` of its own (the same model as a hall's own console), fed from
``<topic_root>/<site>/…``. A hall's link to the province is the notification its mosquitto bridge
keeps at ``<R>/status/province-link`` (``1``; the province broker says ``0`` as the bridge's last
will when the link drops), so a hall cut off is marked with how long, and its last state stays
shown as it was. The console's broker user reads ``motcua/+/…`` and writes nothing: no status of
its own, no will.
"""
from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable

from aiohttp import web

from ..config import Mqtt, SiteConfig, Tls
from ..contract import ANY, PROVINCE_LINK, Topics
from . import i18n
from .hall import Hall
from .live import epoch, shared, stream
from .web import LANG_KEY, Console


def broker_config(cfg: SiteConfig) -> SiteConfig:
    """The site file with ``mqtt`` pointing at the province's broker, for the console's link."""
    b = cfg.console.province.broker
    tls = Tls(b.ca_file, None, None) if b.ca_file else None
    mqtt = Mqtt(b.host, b.port, cfg.mqtt.topic_root, b.username, b.password_file, tls, cfg.mqtt.keepalive)
    return dataclasses.replace(cfg, mqtt=mqtt)


class Province:
    """Every listed hall, as one versioned view."""

    def __init__(self, cfg: SiteConfig, on_change: Callable[[], None] = lambda: None,
                 clock: Callable[[], float] = time.time):
        self.cfg = cfg
        self.on_change = on_change
        self.halls = {site: Hall(cfg, self._changed, clock, site=site, parts=[PROVINCE_LINK, "hub"])
                      for site in cfg.console.province.sites}
        self.broker_up = False
        self._version = 0

    @property
    def subscriptions(self) -> tuple[str, ...]:
        return Topics(self.cfg.mqtt.topic_root, ANY).to_province

    @property
    def version(self) -> int:
        return self._version

    def _changed(self) -> None:
        self._version += 1
        self.on_change()

    def connected(self, up: bool) -> None:
        self.broker_up = up
        self._changed()

    def message(self, topic: str, payload: bytes, retained: bool) -> None:
        for hall in self.halls.values():     # a site not listed is not ours to show
            if hall.t.holds(topic):
                hall.message(topic, payload, retained)
                return

    def snapshot(self) -> dict:
        return {"version": self._version, "broker_up": self.broker_up,
                "halls": {site: h.snapshot() for site, h in self.halls.items()}}


def province_view(snap: dict) -> dict:
    """The template's view of every hall at the province: its link, parts, counters serving, services and totals, from
    one snapshot."""
    halls = []
    for site, h in snap["halls"].items():
        link = next(p for p in h["parts"] if p.name == PROVINCE_LINK)
        serving = sorted((c, s["ticket"]) for c, s in h["counters"].items() if s.get("status") == "serving")
        services = [{"id": sid, **st, "oldest": epoch(st.get("oldest_waiting_at"))}
                    for sid, st in sorted(h["services"].items())]
        halls.append({"site": site, "link": link, "parts": [p for p in h["parts"] if p.name != PROVINCE_LINK],
                      "serving": serving, "services": services, "figures": h["figures"],
                      "last_call": h["calls"][0] if h["calls"] else None,
                      **{k: sum(s.get(k) or 0 for s in services) for k in ("waiting", "issued", "served", "no_show")}})
    return {"halls": halls, "broker_up": snap["broker_up"], "now": time.time()}


def _render(console: Console, lang: str, snap: dict) -> str:
    return console.env.get_template("province_live.html").render(
        t=lambda k, **v: i18n.t(k, lang, **v), lang=lang, **province_view(snap))


async def page(request: web.Request) -> web.StreamResponse:
    """The province supervisor's page: every hall seen through its bridge, kept current by ``events``."""
    console: Console = request.app["console"]
    lang = request[LANG_KEY]
    return console.render(request, "province.html", live="/events/province",
                          fragment=shared(console, ("province", lang), lambda snap: _render(console, lang, snap)))


async def events(request: web.Request) -> web.StreamResponse:
    """The province page's server-sent updates, one render per change shared by every open page."""
    console: Console = request.app["console"]
    lang = request[LANG_KEY]

    async def fragments() -> dict[str, str]:
        return {"live": shared(console, ("province", lang), lambda snap: _render(console, lang, snap))}
    return await stream(request, fragments)


ROUTES = [("GET", "/province", page), ("GET", "/events/province", events)]
