"""python -m kiosk.printing --config FILE --id KIOSK --test-ticket | --take SERVICE [--priority]

For technicians: ``--test-ticket`` prints a sample ticket on the kiosk's printer, touching no
queue; ``--take`` takes a real number and prints it exactly as a tap on the kiosk would (issue,
print, confirm or void), to try the whole path from a shell — the demo's morning uses it. Exit 0
when printed; 1 with the problem in Vietnamese and English.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime

from motcua.config import Kiosk
from motcua.contract import component_name
from motcua.hubclient import HubClient, HubUnavailable
from motcua.startup import begin, parser

from .flow import TicketDesk, publish_printer_state, ticket_content
from .printer import TicketPrinter
from .ticket import render


def main(argv: list[str] | None = None) -> int:
    """``python -m kiosk.printing``: a sample ticket on the kiosk's printer (``--test-ticket``), or a real number taken
    and printed as a tap would (``--take``), for the technician who installs the printer. 0 printed, 1 not."""
    p = parser("python -m kiosk.printing", "motcua ticket printing: print a sample ticket", with_id=True)
    p.add_argument("--test-ticket", action="store_true", help="print a sample ticket, exit 0 or 1")
    p.add_argument("--take", metavar="SERVICE", help="take a real number in SERVICE and print it, as a tap would")
    p.add_argument("--priority", action="store_true", help="with --take: a priority ticket")
    args, cfg, kiosk = begin(p, argv, "kiosks")
    if isinstance(cfg, int):
        return cfg
    if args.take:
        return take(cfg, kiosk, args.take, args.priority)
    if not args.test_ticket:
        p.error("nothing to do: add --test-ticket or --take SERVICE")
    return test_ticket(cfg, kiosk)


def take(cfg, kiosk: Kiosk, service: str, priority: bool) -> int:
    """One real ticket through the kiosk's own flow: what a citizen would read, a line in Vietnamese
    then one in English."""
    try:
        client = HubClient(cfg, component_name("kiosk", kiosk.id) + "-cli", announce=False).start()
    except HubUnavailable as e:
        print(f"không kết nối được máy chủ / cannot reach the broker: {e}", file=sys.stderr)
        return 1
    try:
        desk = TicketDesk(cfg, kiosk, client, TicketPrinter(kiosk.printer),
                          publish_printer_state(client, kiosk.id))
        desk.check_printer()                  # as the kiosk does at start: no number for a printer that is down
        taken = desk.take(service, priority)
    finally:
        client.stop()
    if not taken.ok:
        print(f"{taken.vi}\n{taken.en}", file=sys.stderr)
        return 1
    t, svc = taken.ticket, cfg.by_service[service]
    print(f"Số {t['label']} — {svc.name.vi}{' — ƯU TIÊN' if priority else ''}: {t['waiting_ahead']} người chờ "
          f"trước, khoảng {t['estimated_wait_min']} phút\n"
          f"Ticket {t['label']} — {svc.name.en}{' — PRIORITY' if priority else ''}: {t['waiting_ahead']} ahead, "
          f"~{t['estimated_wait_min']} min")
    return 0


def test_ticket(cfg, kiosk: Kiosk) -> int:
    """Print a sample ticket marked as a test, never valid in the queue; 0 when the printer took it, 1 (its state said)
    when not."""
    svc = cfg.services[0]
    now = datetime.now(cfg.site.tz)
    sample = {"id": "test", "label": svc.label(svc.first), "service": svc.id, "priority": False,
              "issued_at": now.isoformat(timespec="seconds"), "waiting_ahead": 3, "estimated_wait_min": 15}
    content = replace(ticket_content(cfg, kiosk, sample),
                      footer="BẢN IN THỬ — KHÔNG DÙNG ĐỂ XẾP HÀNG / TEST PRINT — NOT A QUEUE TICKET")
    image = render(content, kiosk.printer.dots)
    state = TicketPrinter(kiosk.printer).print_image(image, f"test-{now:%Y%m%d-%H%M%S}")
    if state.can_print:
        print(f"đã in phiếu thử / test ticket printed — {state.detail}")
        return 0
    print(f"không in được / not printed: {state.detail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
