"""How the IVR reads numbers back (CONF-1): digit by digit as Mandarin speakers do, 1 as 幺, in groups."""

from __future__ import annotations

SPOKEN = "零幺二三四五六七八九"
"""0-9 as read back: 1 is 幺 (not 一, easily misheard as 七), 2 is 二 (not 两), 0 is 零."""
AREA_3 = ("010", "020", "021", "022", "023", "024", "025", "027", "028", "029")
"""Area codes of three digits (Beijing, Guangzhou, Shanghai, Tianjin, Chongqing, …); the rest have four."""


def spoken(digits: str) -> str:
    return "".join(SPOKEN[int(d)] for d in digits if d.isdigit())


def groups(digits: str) -> list[str]:
    """Mobile 3-4-4; landline area code then 4-4 or 3-4; 400/800 3-3-4; anything else in fours."""
    if len(digits) == 11 and digits.startswith("1"):
        return [digits[:3], digits[3:7], digits[7:]]
    if digits.startswith("0") and len(digits) >= 10:
        area = 3 if digits[:3] in AREA_3 else 4
        rest = digits[area:]
        return [digits[:area], *([rest[:-4], rest[-4:]] if len(rest) > 4 else [rest])]
    if len(digits) == 10 and digits[:3] in ("400", "800"):
        return [digits[:3], digits[3:6], digits[6:]]
    return [digits[i : i + 4] for i in range(0, len(digits), 4)]


def read_back(digits: str) -> str:
    """The exact words a read-back says: `13800138000` -> `幺三八，零零幺三，八零零零`."""
    return "，".join(spoken(g) for g in groups(digits))
