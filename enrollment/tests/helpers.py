"""Test helpers: valid identifiers built by the standards' formulas (written out here,
not taken from the code under test)."""

from __future__ import annotations

CID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def citizen_id(region: str, birth: str, sequence: int) -> str:
    """GB 11643: region (6) + birth YYYYMMDD + sequence (3) + check character."""
    body = f"{region}{birth}{sequence:03d}"
    total = sum(int(d) * w for d, w in zip(body, CID_WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def credit_code(body17: str) -> str:
    """GB 32100: 17 characters + check character."""
    total = sum(CREDIT_CHARSET.index(c) * w for c, w in zip(body17, CREDIT_WEIGHTS, strict=True))
    return body17 + CREDIT_CHARSET[(31 - total % 31) % 31]
