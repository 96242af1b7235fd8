"""Reading back the PDF documents of ``pension.pdf`` in tests: the answer is a PDF, and
its text (pypdf, as a reader's copy-and-paste would give it) on one line."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(response) -> str:
    """The text of the PDF ``response`` (a test client's answer or the bytes), every run
    of whitespace made one space; fails unless it is a PDF."""
    content = response if isinstance(response, bytes) else response.content
    if not isinstance(response, bytes):
        assert response.status_code == 200, response.status_code
        assert response["Content-Type"] == "application/pdf"
    assert content.startswith(b"%PDF-"), content[:20]
    reader = PdfReader(io.BytesIO(content))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def foreign_caseworker():
    """A caseworker of 南关区 (长春市, another province): outside every demo region."""
    from pension.models import Agency, StaffUser

    agency, _new = Agency.objects.get_or_create(
        code="22010200", defaults={"name": "南关区社会保险中心", "region_id": "220102"}
    )
    return StaffUser.objects.create_user(
        username="nanguan_pdf_caseworker", password="x", agency=agency, roles=["caseworker"]
    )
