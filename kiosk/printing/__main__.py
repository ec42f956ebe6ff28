"""python -m kiosk.printing --config FILE --id KIOSK --test-ticket

For technicians: prints a sample ticket on the kiosk's printer. Exit 0 when printed; 1 with the
printer's problem in Vietnamese and English.
"""
from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime

from ..cli import begin, parser
from .flow import ticket_content
from .printer import TicketPrinter
from .ticket import WIDTH_DOTS, render


def main(argv: list[str] | None = None) -> int:
    p = parser("python -m kiosk.printing", "motcua ticket printing: print a sample ticket", with_id=True)
    p.add_argument("--test-ticket", action="store_true", help="print a sample ticket, exit 0 or 1")
    args, cfg, kiosk = begin(p, argv, "kiosks")
    if isinstance(cfg, int):
        return cfg
    if not args.test_ticket:
        p.error("nothing to do: add --test-ticket")
    svc = cfg.services[0]
    now = datetime.now(cfg.site.tz)
    sample = {"id": "test", "label": svc.label(svc.first), "service": svc.id, "priority": False,
              "issued_at": now.isoformat(timespec="seconds"), "waiting_ahead": 3, "estimated_wait_min": 15}
    content = replace(ticket_content(cfg, kiosk, sample),
                      footer="BẢN IN THỬ — KHÔNG DÙNG ĐỂ XẾP HÀNG / TEST PRINT — NOT A QUEUE TICKET")
    image = render(content, WIDTH_DOTS[kiosk["printer"]["paper_width_mm"]])
    state = TicketPrinter(kiosk["printer"]).print_image(image, f"test-{now:%Y%m%d-%H%M%S}")
    if state.can_print:
        print(f"đã in phiếu thử / test ticket printed — {state.detail}")
        return 0
    print(f"không in được / not printed: {state.detail}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
