"""`invoices.download` / `creditNotes.download`: a temporary location, then a real PDF or UBL file."""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

import httpx

from connector_teamleader.sandbox import TeamleaderSandbox

UBL = "{urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2}"


def location(api: Any, endpoint: str, ident: str, file_format: str) -> str:
    data = api.data(endpoint, {"id": ident, "format": file_format})
    assert set(data) == {"location", "expires"}
    return str(data["location"])


def booked_invoice(sandbox: TeamleaderSandbox) -> Any:
    return next(i for i in sandbox.invoices.values() if i.status != "draft")


def test_a_download_answers_a_location_whose_pdf_is_a_well_formed_pdf(
    sandbox: TeamleaderSandbox, api: Any
) -> None:
    invoice = booked_invoice(sandbox)
    response = httpx.get(location(api, "invoices.download", invoice.id, "pdf"))  # no bearer token
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-1.4") and pdf.rstrip().endswith(b"%%EOF")
    assert f"Invoice {invoice.invoice_number}".encode() in pdf
    start = int(re.findall(rb"startxref\n(\d+)", pdf)[-1])
    assert pdf[start:].startswith(b"xref"), "startxref points at the cross-reference table"
    offsets = [int(entry) for entry in re.findall(rb"(\d{10}) 00000 n ", pdf)]
    assert [pdf[o:].split(b" ", 1)[0] for o in offsets] == [str(n).encode() for n in range(1, 6)]


def test_the_ubl_of_an_invoice_and_of_a_credit_note_carry_their_numbers_and_totals(
    sandbox: TeamleaderSandbox, api: Any
) -> None:
    invoice = booked_invoice(sandbox)
    xml = httpx.get(location(api, "invoices.download", invoice.id, "ubl/peppol_bis_3")).content
    root = ElementTree.fromstring(xml)
    assert root.tag.endswith("}Invoice") and root.findtext(f"{UBL}ID") == invoice.invoice_number
    assert root.findtext(f"{UBL}InvoiceTypeCode") == "380"
    payable = root.find(f".//{UBL}PayableAmount")
    assert payable is not None
    assert payable.text == f"{sandbox.invoice_info(invoice.id)['total']['payable']['amount']:.2f}"
    note = next(iter(sandbox.credit_notes.values()))
    xml = httpx.get(location(api, "creditNotes.download", note.id, "ubl/peppol_bis_3")).content
    root = ElementTree.fromstring(xml)
    assert root.tag.endswith("}CreditNote") and root.findtext(f"{UBL}CreditNoteTypeCode") == "381"


def test_downloads_refuse_unknown_documents_other_formats_and_drafts(
    sandbox: TeamleaderSandbox, api: Any
) -> None:
    invoice = booked_invoice(sandbox)
    assert api("invoices.download", {"id": "nope", "format": "pdf"}).status_code == 404
    assert api("creditNotes.download", {"id": invoice.id, "format": "pdf"}).status_code == 404
    refused = api("invoices.download", {"id": invoice.id, "format": "docx"})
    assert refused.status_code == 400 and "format must be one of" in refused.text
    draft = sandbox.book_invoice(
        customer="Brouwerij De Klok BV", date="2026-06-02", draft=True, lines=[{"price": 10}]
    )
    assert api("invoices.download", {"id": draft.id, "format": "pdf"}).status_code == 400


def test_a_location_expires_after_an_hour(sandbox: TeamleaderSandbox, api: Any) -> None:
    url = location(api, "invoices.download", booked_invoice(sandbox).id, "pdf")
    sandbox.advance(3601)
    assert httpx.get(url).status_code == 403
    assert httpx.get(url.rsplit("/", 1)[0] + "/never-given").status_code == 404
