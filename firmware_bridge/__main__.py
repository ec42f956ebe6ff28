"""python -m firmware_bridge --config FILE --id BRIDGE [--check-config]"""
from __future__ import annotations

import logging
import sys
import time

from motcua.contract import Topics, component_name
from motcua.exits import EX_CONFIG
from motcua.hubclient import HubClient
from motcua.sdnotify import Notifier
from motcua.site_sync import SiteSync
from motcua.startup import begin, on_stop, parser

from .bridge import Bridge
from .port import SerialLine

log = logging.getLogger(__package__)
STATS_EVERY_S = 60.0


def main(argv: list[str] | None = None) -> int:
    """``python -m firmware_bridge``: run one bridge's serial lines and its MQTT link until stopped, feeding systemd's
    watchdog. 2 for a wrong site file, 78 when the broker refuses the credentials or they cannot be read."""
    p = parser("python -m firmware_bridge", "motcua keypad bridge: serial keypads <-> MQTT", with_id=True)
    args, cfg, entry = begin(p, argv, "bridges")
    if isinstance(cfg, int):
        return cfg
    component = component_name("bridge", args.id)
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    try:   # only its own counters: the broker's ACL lets a bridge read nothing else
        client = HubClient(cfg, component, subscriptions=tuple(t.counter_state(c) for c in entry.counters),
                           on_message=lambda msg: bridge.mqtt_message(msg))   # bridge is made below
    except OSError as e:
        log.error("không đọc được thông tin đăng nhập / cannot read broker credentials: %s", e)
        return EX_CONFIG
    lines: dict[str, SerialLine] = {}
    bridge = Bridge(entry, component, client, lambda dev, data: lines[dev].write(data))
    for p in entry.ports:
        lines[p.device] = SerialLine(p.device, p.baudrate, bridge.line_arrived)
    SiteSync(cfg, client.link, lambda new: bridge.reconfigure(new.entry("bridges", args.id)), section="bridges",
             ident=args.id, schedule=lambda work: bridge.inbox.put(("call", work)),   # keypad maps live (SPEC 2.1)
             restart=(("site", "id"),))
    stop = {"now": False}
    on_stop(lambda: stop.update(now=True))
    notifier = Notifier()
    client.start(wait=None)
    for line in lines.values():
        line.start()
    notifier.ready("bridge running")
    last_stats, reported = time.monotonic(), None
    try:
        while not stop["now"]:
            if client.link.fatal_event.is_set():
                log.error("%s", client.link.fatal)
                return EX_CONFIG
            bridge.step()
            if client.link.vouches():   # a pass completed, the link proven up within the last minute
                notifier.watchdog()
            if time.monotonic() - last_stats >= STATS_EVERY_S and dict(bridge.stats) != reported:
                reported, last_stats = dict(bridge.stats), time.monotonic()
                log.info("thống kê khung bị bỏ / dropped-frame counts: %s", reported)
    finally:
        notifier.stopping()
        bridge.all_offline()
        for line in lines.values():
            line.stop()
        client.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
