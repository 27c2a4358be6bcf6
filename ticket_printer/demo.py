"""Demo slips, and their previews written for the README.

    python -m ticket_printer.demo [DIRECTORY]    (default: docs/images)

writes ticket-demo.png and notice-demo.png, 80 mm paper. The tests render the same slips.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ticket_printer.layout import PAPER_80, Mode, PrinterProfile
from ticket_printer.preview import render_png
from ticket_printer.slips import NoticeSlip, TicketSlip

DEMO_TICKET = TicketSlip(
    centre_name="示范镇便民服务中心",
    centre_name_en="Shifan Town Convenience Service Centre",
    number="A012",
    matter_name="居住证申领",
    matter_name_en="Residence permit application",
    green_channel=True,
    category_name="老年人",
    people_ahead=5,
    estimated_wait_minutes=18,
    issued_at="2026-11-29 09:05",
    status_url="https://onewindow.example/t/7f3a9c21",
    english=True,
)

DEMO_NOTICE = NoticeSlip(
    centre_name="示范镇便民服务中心",
    number="A012",
    matter_name="居住证申领",
    outcome_name="补正",
    reasons=("居住登记满半年的证明未提供", "照片不符合规格要求（需白底正面免冠）"),
    missing_materials=("居民身份证原件", "合法稳定住所证明（房产证或租赁合同）", "近期一寸白底证件照 2 张"),
    phone="0000-12345678",
    address="示范镇人民路88号（镇人民政府东侧）",
    date="2026-11-29",
    title="补正材料通知书",
    case_number="DEMO-2026-000012",
    staff="王芳（工号 33010201）",
    deadline="请于2026年12月4日前补齐上述材料；逾期未补正的，视为放弃本次申请。",
)

DEMO_PROFILE = PrinterProfile(paper=PAPER_80, mode=Mode.RASTER)


def write_demo_images(directory: Path) -> list[Path]:
    """Write the demo ticket and notice previews; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, slip in (("ticket-demo.png", DEMO_TICKET), ("notice-demo.png", DEMO_NOTICE)):
        path = directory / name
        path.write_bytes(render_png(slip, DEMO_PROFILE))
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_demo_images(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/images")):
        print(path)
