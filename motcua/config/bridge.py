"""The site file's ``bridges`` section: serial lines and the keypads on them (SPEC section 5)."""
from __future__ import annotations

from dataclasses import dataclass

from .common import ID_COUNTER
from .schema import COUNTER, Ctx, Dict, Int, List, Map, Str, dotted, unknown


@dataclass(frozen=True)
class Port:
    """One serial line of a keypad bridge (an RS-485 bus): its device and speed, and the keypads on it by Modbus address
    (1-247) to the counter each one drives."""
    device: str
    baudrate: int
    keypads: dict        # keypad address (1-247) -> counter id


@dataclass(frozen=True)
class Bridge:
    """A ``bridges`` entry: one firmware_bridge process and the serial lines it polls."""
    id: str
    ports: tuple[Port, ...]

    @property
    def keypads(self) -> list[tuple[Port, int, str]]:
        """Every keypad of this bridge as (its line, its address, its counter)."""
        return [(p, addr, counter) for p in self.ports for addr, counter in p.keypads.items()]

    @property
    def counters(self) -> list[str]:
        """The counters whose keypads this bridge serves, sorted."""
        return sorted({counter for _, _, counter in self.keypads})


BRIDGES = List(Map({"id": Str(pattern=ID_COUNTER), "ports": List(Map({
    "device": Str(min_len=1), "baudrate": Int(min=1200, max=4_000_000, default=115200),
    "keypads": Dict(Int(min=1, max=247), Str(pattern=ID_COUNTER)),
}, build=Port), min_len=1)}, build=lambda **kw: Bridge(kw["id"], tuple(kw["ports"]))), optional=True)


def bridge_checks(bridges: tuple[Bridge, ...], counter_ids: set, ctx: Ctx) -> None:
    """Every keypad names a known counter, and no counter has two keypads."""
    owner: dict[str, tuple] = {}
    for i, b in enumerate(bridges):
        for j, port in enumerate(b.ports):
            for addr, cid in port.keypads.items():
                where = ("bridges", i, "ports", j, "keypads", addr)
                if cid not in counter_ids:
                    ctx.error(where, *unknown(COUNTER, cid, counter_ids))
                elif cid in owner:
                    at = dotted(owner[cid])
                    ctx.error(where, f"quầy {cid!r} đã có bàn phím ở {at}",
                              f"counter {cid!r} already has a keypad at {at}")
                else:
                    owner[cid] = where
