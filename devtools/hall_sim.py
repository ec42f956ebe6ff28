"""A hall's clients for the takeover test and bench: a kiosk issuing, a keypad bridge pressing NEXT, a wall screen
watching, all through the product's own links, against the hub's address (SPEC 14).

``python -m devtools.hall_sim SITE_FILE SECONDS SEED OUT.json`` runs inside the "hall" network
namespace. Every request is retried with the same ``command_id`` until the hub answers (as the
kiosk and the bridge do), through a cut of any length. At the end every ticket the kiosk was told
about and no NEXT answered is CALLed, to show it is still honoured. It writes what happened to
OUT.json: each answer with its time, the wall screen's calls, and when the hall could not get an
answer.
"""
from __future__ import annotations

import json
import random
import sys
import threading
import time

from motcua import config
from motcua.contract import ANY, Topics
from motcua.hubclient import HubClient, HubUnavailable, new_command_id
from motcua.link import Link

TRY_S = 1.0         # one try's wait; requests are retried with the same id until answered


def asked(client: HubClient, topic: str, body: dict, stop_at: float) -> tuple[dict | None, float]:
    """(the reply, when it came), retrying the very same request until the end; (None, end) when never."""
    while time.monotonic() < stop_at:
        try:
            return client.request(topic, body, timeout=TRY_S, tries=1), time.time()
        except HubUnavailable:
            continue
    return None, time.time()


def kiosk(client: HubClient, rng: random.Random, until: float, out: dict) -> None:
    while time.monotonic() < until:
        body = {"service": rng.choice(["LAND", "JUST"]), "priority": False, "confirm": False, "source": "kiosk-k1",
                "command_id": new_command_id("kiosk-k1")}
        sent = time.time()
        reply, at = asked(client, client.t.issue, body, until + 30)
        out["issues"].append({"sent": sent, "at": at, "reply": reply})
        time.sleep(rng.uniform(0.1, 0.4))


def keypad(client: HubClient, rng: random.Random, until: float, out: dict) -> None:
    while time.monotonic() < until:
        counter = rng.choice(["1", "2"])
        body = {"action": "next", "command_id": new_command_id("bridge-b1")}
        sent = time.time()
        reply, at = asked(client, client.t.counter_command(counter), body, until + 30)
        out["presses"].append({"sent": sent, "at": at, "counter": counter, "command_id": body["command_id"],
                               "reply": reply})
        time.sleep(rng.uniform(0.3, 0.9))


def honour(client: HubClient, out: dict) -> None:
    """CALL at counter 3 every label the kiosk was told about that no NEXT answered."""
    called = {(p["reply"] or {}).get("state", {}).get("ticket") for p in out["presses"]}
    for issue in out["issues"]:
        label = ((issue["reply"] or {}).get("ticket") or {}).get("label")
        if label and label not in called:
            body = {"action": "call", "ticket": label, "command_id": new_command_id("bridge-b1")}
            reply, _ = asked(client, client.t.counter_command("3"), body, time.monotonic() + 30)
            out["calls_at_end"].append({"label": label, "reply": reply})


def main(argv: list[str]) -> int:
    cfg = config.load(argv[0])
    seconds, rng, path = float(argv[1]), random.Random(int(argv[2])), argv[3]
    out: dict = {"issues": [], "presses": [], "calls_at_end": [], "screen_calls": []}
    t = Topics(cfg.mqtt.topic_root, cfg.site.id)
    screen = Link(cfg, "display-d1", subscriptions=(t.counter_state(ANY), t.service_state(ANY), t.call,
                                                    t.calls_recent),
                  on_message=lambda m: out["screen_calls"].append(json.loads(m.payload)) if m.topic == t.call else None)
    kiosk_client = HubClient(cfg, "kiosk-k1", subscriptions=(t.service_state(ANY),))
    bridge = HubClient(cfg, "bridge-b1", subscriptions=(t.counter_state("1"), t.counter_state("2")))
    screen.start()
    kiosk_client.start(wait=30)
    bridge.start(wait=30)
    until = time.monotonic() + seconds
    workers = [threading.Thread(target=kiosk, args=(kiosk_client, random.Random(rng.random()), until, out)),
               threading.Thread(target=keypad, args=(bridge, random.Random(rng.random()), until, out))]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    honour(bridge, out)
    out["screen_seen"] = screen.seen.said() if screen.seen else None
    for part in (kiosk_client, bridge):
        part.stop()
    screen.stop()
    with open(path, "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
