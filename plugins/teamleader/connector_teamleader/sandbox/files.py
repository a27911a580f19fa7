"""`invoices.download` / `creditNotes.download`, and the file host their locations point at.

What Teamleader does (notes §7.1, §7.4, §"Evidence 2026-12", Documents): the call takes `id` and
`format` (`pdf`, `ubl/e-fff`, `ubl/peppol_bis_3`) and answers 200 ``{"data": {"location", "expires"}}``,
a temporary URL, not the file. Here:

- an unknown id answers 404, as every `.info` does; a format outside those three answers 400 with
  the field (the blueprint's validation errors); a draft invoice has no number and no document to
  download yet: 400 (UNVERIFIED: Teamleader's answer for drafts is undocumented, refusing is the
  safer model);
- the location is ``{url}/files/{token}`` on this server, valid for an hour (`expires`; the length
  is UNVERIFIED), fetched without a bearer token and outside the API's rate limit (it is a file
  host, not the API); once expired it answers 403, as a signed storage link does (UNVERIFIED);
- the PDF is a real, minimal PDF 1.4 (one page naming the document, its customer and its total);
  the UBL is a Peppol BIS Billing 3.0 `Invoice` or `CreditNote` (UBL 2.1) made from the document's
  data: number, dates, parties, lines, VAT per rate and totals.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any
from xml.sax.saxutils import escape

from connector.testing.sandbox import Response

from .booked import CreditNote, Invoice
from .common import ApiError, invalid, iso, not_found, text
from .documents import credit_note_json, invoice_json
from .store import Store

FORMATS = ("pdf", "ubl/e-fff", "ubl/peppol_bis_3")
LIFETIME = timedelta(hours=1)
PEPPOL = "urn:cen.eu:en16931:2017#compliant#urn:fdc:peppol.eu:2017:poacc:billing:3.0"


def download(store: Store, body: dict[str, Any], kind: str, base_url: str) -> Response:
    ident = text(body.get("id"), "id", required=True)
    file_format = body.get("format")
    if file_format not in FORMATS:
        raise invalid("format", f"format must be one of {', '.join(FORMATS)}")
    document: Invoice | CreditNote | None
    if kind == "invoice":
        document = store.invoices.get(str(ident))
        if document is None:
            raise not_found("Invoice", ident)
        if document.status == "draft":
            raise ApiError(400, "A draft invoice cannot be downloaded: book it first", field="id")
        data = invoice_json(store, document, info=True)
    else:
        document = store.credit_notes.get(str(ident))
        if document is None:
            raise not_found("CreditNote", ident)
        data = credit_note_json(store, document, info=True)
    if file_format == "pdf":
        content, content_type = pdf(data, kind), "application/pdf"
    else:
        content, content_type = ubl(data, kind), "application/xml"
    token = secrets.token_urlsafe(16)
    expires = store.clock.now() + LIFETIME
    store.files[token] = (content, content_type, expires)
    location = f"{base_url}/files/{token}"
    return Response.json({"data": {"location": location, "expires": iso(expires)}})


def serve(store: Store, token: str) -> Response:
    """GET of a location: the file while it lives; 403 once expired, 404 for a token never given."""
    found = store.files.get(token)
    if found is None:
        return Response(404, b"Not Found", {"Content-Type": "text/plain"})
    content, content_type, expires = found
    if store.clock.now() >= expires:
        return Response(403, b"Request has expired", {"Content-Type": "text/plain"})
    return Response(200, content, {"Content-Type": content_type})


def _number(data: dict[str, Any], kind: str) -> str:
    return str(data.get("invoice_number") if kind == "invoice" else data.get("credit_note_number"))


def _date(data: dict[str, Any], kind: str) -> str:
    return str(data.get("invoice_date") if kind == "invoice" else data.get("credit_note_date"))


def pdf(data: dict[str, Any], kind: str) -> bytes:
    """A one-page PDF 1.4, its cross-reference table at the right byte offsets."""
    title = "Invoice" if kind == "invoice" else "Credit note"
    total = data["total"]["tax_inclusive"]
    rows = [
        f"{title} {_number(data, kind)}",
        f"Date {_date(data, kind)}",
        str(data["invoicee"]["name"]),
        f"Total {_amount(total['amount'])} {total['currency']}",
    ]
    shown = "".join(
        f"BT /F1 14 Tf 72 {760 - 24 * index} Td ({_pdf_text(row)}) Tj ET\n" for index, row in enumerate(rows)
    ).encode("latin-1", "replace")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(shown) + shown + b"endstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def _pdf_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def _amount(value: Any) -> str:
    return f"{float(value):.2f}"


def ubl(data: dict[str, Any], kind: str) -> bytes:
    """The document as Peppol BIS Billing 3.0 UBL: `Invoice` (type 380) or `CreditNote` (381)."""
    root = "Invoice" if kind == "invoice" else "CreditNote"
    line_tag = "InvoiceLine" if kind == "invoice" else "CreditNoteLine"
    quantity_tag = "InvoicedQuantity" if kind == "invoice" else "CreditedQuantity"
    currency = escape(str(data.get("currency") or data["total"]["tax_inclusive"]["currency"]))
    total = data["total"]
    invoicee = data["invoicee"]
    parts = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<{root} xmlns="urn:oasis:names:specification:ubl:schema:xsd:{root}-2" '
        'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
        'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">',
        f"<cbc:CustomizationID>{PEPPOL}</cbc:CustomizationID>",
        "<cbc:ProfileID>urn:fdc:peppol.eu:2017:poacc:billing:01:1.0</cbc:ProfileID>",
        f"<cbc:ID>{escape(_number(data, kind))}</cbc:ID>",
        f"<cbc:IssueDate>{_date(data, kind)}</cbc:IssueDate>",
    ]
    if kind == "invoice" and data.get("due_on"):
        parts.append(f"<cbc:DueDate>{data['due_on']}</cbc:DueDate>")
    type_tag = "InvoiceTypeCode" if kind == "invoice" else "CreditNoteTypeCode"
    parts.append(f"<cbc:{type_tag}>{380 if kind == 'invoice' else 381}</cbc:{type_tag}>")
    parts.append(f"<cbc:DocumentCurrencyCode>{currency}</cbc:DocumentCurrencyCode>")
    parts.append(
        "<cac:AccountingCustomerParty><cac:Party><cac:PartyLegalEntity>"
        f"<cbc:RegistrationName>{escape(str(invoicee['name']))}</cbc:RegistrationName>"
        f"<cbc:CompanyID>{escape(str(invoicee.get('vat_number') or ''))}</cbc:CompanyID>"
        "</cac:PartyLegalEntity></cac:Party></cac:AccountingCustomerParty>"
    )
    tax_total = sum(float(tax["tax"]["amount"]) for tax in total["taxes"])
    parts.append(f'<cac:TaxTotal><cbc:TaxAmount currencyID="{currency}">{_amount(tax_total)}</cbc:TaxAmount>')
    for tax in total["taxes"]:
        parts.append(
            f'<cac:TaxSubtotal><cbc:TaxableAmount currencyID="{currency}">{_amount(tax["taxable"]["amount"])}'
            f'</cbc:TaxableAmount><cbc:TaxAmount currencyID="{currency}">{_amount(tax["tax"]["amount"])}'
            f"</cbc:TaxAmount><cac:TaxCategory><cbc:Percent>{float(tax['rate']) * 100:g}</cbc:Percent>"
            "</cac:TaxCategory></cac:TaxSubtotal>"
        )
    parts.append("</cac:TaxTotal>")
    parts.append(
        f'<cac:LegalMonetaryTotal><cbc:TaxExclusiveAmount currencyID="{currency}">'
        f"{_amount(total['tax_exclusive']['amount'])}</cbc:TaxExclusiveAmount>"
        f'<cbc:TaxInclusiveAmount currencyID="{currency}">{_amount(total["tax_inclusive"]["amount"])}'
        f'</cbc:TaxInclusiveAmount><cbc:PayableAmount currencyID="{currency}">'
        f"{_amount(total['payable']['amount'])}</cbc:PayableAmount></cac:LegalMonetaryTotal>"
    )
    number = 0
    for group in data.get("grouped_lines") or []:
        for line in group.get("line_items") or []:
            number += 1
            parts.append(
                f"<cac:{line_tag}><cbc:ID>{number}</cbc:ID>"
                f"<cbc:{quantity_tag}>{line['quantity']}</cbc:{quantity_tag}>"
                f'<cbc:LineExtensionAmount currencyID="{currency}">'
                f"{_amount(line['total']['tax_exclusive']['amount'])}</cbc:LineExtensionAmount>"
                f"<cac:Item><cbc:Name>{escape(str(line.get('description') or ''))}</cbc:Name></cac:Item>"
                f'<cac:Price><cbc:PriceAmount currencyID="{currency}">'
                f"{_amount(line['unit_price']['amount'])}</cbc:PriceAmount></cac:Price></cac:{line_tag}>"
            )
    parts.append(f"</{root}>")
    return "\n".join(parts).encode("utf-8")
