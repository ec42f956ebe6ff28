"""The printer's ESC/POS bytes: decoded back, they are the drawn ticket pixel for pixel at both paper
widths, cut after the last image, and its QR code still reads."""
import pytest
import zxingcpp
from PIL import ImageChops

from kiosk.printing.emulator import rasters, stack
from kiosk.printing.printer import TicketPrinter
from kiosk.printing.ticket import SAMPLE, render
from motcua.config.kiosk import WIDTH_DOTS, Printer


def printed_bytes(tmp_path, image, width_mm=80) -> bytes:
    p = TicketPrinter(Printer("directory", path=str(tmp_path / "out"), paper_width_mm=width_mm))
    assert p.print_image(image, "t1").state == "ok"
    return (tmp_path / "out" / "t1.bin").read_bytes()


@pytest.mark.parametrize("mm", [80, 58])
def test_escpos_bytes_decode_back_to_the_drawn_ticket_then_cut(tmp_path, mm):
    image = render(SAMPLE, WIDTH_DOTS[mm])
    data = printed_bytes(tmp_path, image, mm)
    first = data.find(b"\x1dv0")
    assert first >= 0, "a GS v 0 raster image"
    m, wb = data[first + 3], data[first + 4] + 256 * data[first + 5]
    assert m == 0 and wb * 8 == WIDTH_DOTS[mm], "normal density, the full paper width"
    decoded = stack(rasters(data))
    assert decoded.size == image.size
    assert ImageChops.difference(decoded, image.convert("L")).getbbox() is None, "pixel for pixel"
    cut = data.rfind(b"\x1dV")
    assert cut > data.rfind(b"\x1dv0"), "cut after the last image"


def test_qr_code_decodes_to_the_template(tmp_path):
    decoded = stack(rasters(printed_bytes(tmp_path, render(SAMPLE))))
    found = zxingcpp.read_barcodes(decoded)
    assert [b.text for b in found] == ["motcua:demo-hcc:G012:20261130"]

