"""Documents and their attachments, and the `Document` a sales entry links (notes §"Evidence 2026-12",
Attaching the invoice document; Exact's reference for DocumentsDocuments, DocumentsDocumentAttachments,
DocumentsDocumentTypes as compiled in picqer/exact-php-client `Document.php`, `DocumentAttachment.php`).

What is accepted and refused, answered as every validation is (localized messages, `validation_status`):

- ``POST documents/Documents``: `Subject` and `Type` are required ("Verplicht: Onderwerp", "Verplicht:
  Type"); `Type` must be one of `documents/DocumentTypes` and `Account`, when sent, an existing
  account ("Ongeldige referentie: …");
- ``POST documents/DocumentAttachments``: `Document` (an existing document), `FileName` and
  `Attachment` are required; `Attachment` is Edm.Binary, base64 in JSON: anything else is refused
  as an unreadable request stream (400), as OData does for a value of the wrong type. The answer
  carries `Url` and `FileSize`; `Attachment` itself is never read back (GET-only fields aside, the
  reference lists it as the upload's content);
- `Document` on a sales entry, in its POST or in a PUT: an existing document's ID, or null to unlink;
  anything else is "Ongeldige referentie: Document".

`documents/DocumentTypes` is read-only; 10 (sales invoice) is the type the notes name, the others are
a few of Exact's standard types for a realistic list.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from connector.testing.sandbox import Response

from .odata import ODataError, parse_datetime, parse_guid
from .store import Division, Row, Store

FILE_PATH = "/docs/DocumentAttachment.aspx"
"""Where an attachment's `Url` points (UNVERIFIED: Exact's own path differs per host; it is read
with the API's bearer token here)."""
TYPES = (
    (10, "Verkoopfactuur", 1),
    (20, "Inkoopfactuur", 1),
    (55, "Bijlage", 2),
)


def types(division: Division) -> Any:
    """The division's document types, made on first read."""
    table = division.table("document_types")
    if not table:
        for ident, description, category in TYPES:
            table[ident] = {
                "ID": ident,
                "Description": description,
                "TypeCategory": category,
                "DocumentIsCreatable": True,
                "Division": division.code,
            }
    return table


def _reference(division: Division, table: str, value: Any) -> Row | None:
    try:
        key = parse_guid(value)
    except (TypeError, ValueError):
        return None
    return division.table(table).get(key) if key else None


def create_document(store: Store, division: Division, payload: dict[str, Any], status: int) -> Row:
    errors = []
    subject = str(payload.get("Subject") or "").strip()
    if not subject:
        errors.append("Verplicht: Onderwerp")
    kind = payload.get("Type")
    known = types(division)
    if kind in (None, ""):
        errors.append("Verplicht: Type")
    elif not isinstance(kind, int) or kind not in known:
        errors.append("Ongeldige referentie: Type")
    account = None
    if payload.get("Account") not in (None, ""):
        account = _reference(division, "accounts", payload["Account"])
        if account is None:
            errors.append("Ongeldige referentie: Relatie")
    try:
        moment = parse_datetime(payload.get("DocumentDate"))
    except ValueError:
        errors.append("Ongeldig: Documentdatum")
        moment = None
    if errors:
        raise ODataError(status, "\r\n".join(errors))
    row: Row = {
        "Subject": subject,
        "Type": kind,
        "TypeDescription": known[kind]["Description"],
        "Account": account["ID"] if account else None,
        "AccountName": account["Name"] if account else None,
        "DocumentDate": moment or store.now(),
        "Body": payload.get("Body"),
        "AttachmentCount": 0,
    }
    return store.insert(division, "documents", row)


def create_attachment(
    store: Store, division: Division, payload: dict[str, Any], status: int, base: str
) -> Row:
    errors = []
    document = _reference(division, "documents", payload.get("Document"))
    if payload.get("Document") in (None, ""):
        errors.append("Verplicht: Document")
    elif document is None:
        errors.append("Ongeldige referentie: Document")
    name = str(payload.get("FileName") or "").strip()
    if not name:
        errors.append("Verplicht: Bestandsnaam")
    encoded = payload.get("Attachment")
    if encoded in (None, ""):
        errors.append("Verplicht: Bijlage")
        content = b""
    else:
        try:
            content = base64.b64decode(str(encoded), validate=True)
        except (binascii.Error, ValueError) as error:
            raise ODataError(
                400, "Error processing request stream. Invalid value for property 'Attachment'."
            ) from error
    if errors or document is None:
        raise ODataError(status, "\r\n".join(errors))
    row: Row = {"Document": document["ID"], "FileName": name, "FileSize": len(content), "_content": content}
    store.insert(division, "document_attachments", row)
    row["Url"] = f"{base}{FILE_PATH}?ID={row['ID']}"
    store.touch("documents", document, AttachmentCount=int(document.get("AttachmentCount") or 0) + 1)
    return row


def create(
    store: Store, division: Division, table: str, payload: dict[str, Any], status: int, base: str
) -> Row:
    if table == "documents":
        return create_document(store, division, payload, status)
    return create_attachment(store, division, payload, status, base)


def linked(division: Division, payload: dict[str, Any], errors: list[str]) -> Any:
    """The `Document` a sales entry's POST or PUT sends: its ID, None; a wrong one is an error."""
    value = payload.get("Document")
    if value in (None, ""):
        return None
    document = _reference(division, "documents", value)
    if document is None:
        errors.append("Ongeldige referentie: Document")
        return None
    return document["ID"]


def serve(store: Store, ident: str | None) -> Response:
    """The file of an attachment, by the ID in its `Url`, from whichever division holds it."""
    try:
        key = parse_guid(ident)
    except (TypeError, ValueError):
        key = None
    for division in store.divisions.values():
        row = division.table("document_attachments").get(key) if key else None
        if row is not None:
            return Response(200, row["_content"], {"Content-Type": "application/octet-stream"})
    return ODataError(404, "Not found").response()
