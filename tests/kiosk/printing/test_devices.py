"""The printer connections python-escpos opens: each keeps its own paper width."""
from kiosk.printing.devices import open_device
from motcua.config.kiosk import Printer


def test_each_printer_keeps_its_own_paper_width(tmp_path):
    """python-escpos shares a profile between devices: opening an 80 mm printer must not make a
    58 mm one opened after it (in the same process) draw 576 dots."""
    wide = open_device(Printer("directory", path=str(tmp_path / "a"), paper_width_mm=80))
    narrow = open_device(Printer("directory", path=str(tmp_path / "b"), paper_width_mm=58))
    widths = [d.profile.profile_data["media"]["width"]["pixels"] for d in (wide, narrow)]
    assert widths == [576, 384]

