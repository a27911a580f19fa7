"""Attaching a booked document's files to its sales entry in Exact Online.

Three kinds of call (notes §"Evidence 2026-12", Attaching the invoice document; Recras
`uploadFactuurPDF`, Pi-Systems `UploadPdfFileToSalesEntryExactCommand`):

1. ``POST documents/Documents`` with `Subject`, `Type` (10, a sales invoice) and `Account` (the
   customer): one Exact document per booked entry;
2. ``POST documents/DocumentAttachments`` with `Document`, `FileName` and `Attachment` (base64): one
   per file;
3. ``PUT salesentry/SalesEntries(guid'…')`` with ``{"Document": …}``: the entry links the document.

So a document costs 2 + files calls: 3 with one file (`pdf` or `ubl`), 4 with both. The link is
always a PUT after booking, never `Document` in the booking's POST: bookings go first and never
wait for (or fail with) a file.

Each call is a step recorded by the core before and after it is made (`Steps`). A step begun and
not finished (a crash or a timeout between the two) is looked up before it is made again, at one
read: the document by its subject, type and account; an attachment by its document and file name.
The link is a PUT of the same value, so it is simply made again.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from connector.contract.errors import ApiError
from connector.contract.records import Attachment, AttachmentTarget
from connector.contract.steps import Steps
from connector.testing import killpoints

from .client import ExactClient
from .translate import odata_string

SALES_INVOICE = 10
"""documents/DocumentTypes 10: "sales invoice", for invoices and credit notes alike (notes)."""
SUBJECT_LENGTH = 200
TITLES = {"invoice": "Invoice", "credit_note": "Credit note"}


def calls(files: int) -> int:
    """Calls of one attachment when nothing was begun: the document, each file, the link."""
    return 2 + files


def subject(entry: AttachmentTarget) -> str:
    """`Invoice 2026 / 27`: what the document is called in Exact, and how a rerun finds it."""
    return f"{TITLES.get(entry.kind, 'Document')} {entry.number}"[:SUBJECT_LENGTH]


def attach(client: ExactClient, entry: AttachmentTarget, files: Sequence[Attachment], steps: Steps) -> str:
    """The files on a new Exact document linked to the entry; returns the document's ID."""
    document = steps.done("document")
    if document is None:
        found = find_document(client, entry) if steps.begun("document") else None
        if found is None:
            steps.begin("document")
            body: dict[str, Any] = {"Subject": subject(entry), "Type": SALES_INVOICE}
            if entry.customer_target_id:
                body["Account"] = entry.customer_target_id
            if entry.date is not None:
                body["DocumentDate"] = entry.date.isoformat()
            found = created_id(client.post("documents/Documents", body), "document")
            killpoints.reached("attachments.after_call")
        document = found
        steps.finish("document", document)
    for file in files:
        step = f"file {file.filename}"
        if steps.done(step) is not None:
            continue
        found = find_attachment(client, document, file.filename) if steps.begun(step) else None
        if found is None:
            steps.begin(step)
            body = {
                "Document": document,
                "FileName": file.filename,
                "Attachment": base64.b64encode(file.content).decode("ascii"),
            }
            found = created_id(client.post("documents/DocumentAttachments", body), "attachment")
            killpoints.reached("attachments.after_call")
        steps.finish(step, found)
    if steps.done("link") is None:
        steps.begin("link")
        client.put("salesentry/SalesEntries", entry.entry_id, {"Document": document})
        killpoints.reached("attachments.after_call")
        steps.finish("link", document)
    return document


def find_document(client: ExactClient, entry: AttachmentTarget) -> str | None:
    """The document an interrupted run may have created: same subject, type and account."""
    query = f"Subject eq {odata_string(subject(entry))} and Type eq {SALES_INVOICE}"
    if entry.customer_target_id:
        query += f" and Account eq guid'{entry.customer_target_id}'"
    rows = client.rows("documents/Documents", {"$filter": query, "$select": "ID"})
    return str(rows[0]["ID"]) if rows else None


def find_attachment(client: ExactClient, document: str, filename: str) -> str | None:
    query = f"Document eq guid'{document}' and FileName eq {odata_string(filename)}"
    rows = client.rows("documents/DocumentAttachments", {"$filter": query, "$select": "ID"})
    return str(rows[0]["ID"]) if rows else None


class AttachingSink:
    """What `ExactOnlineSink` does for `sync.attachments`, kept here with the calls it makes."""

    client: ExactClient

    def attach(self, entry: AttachmentTarget, files: Sequence[Attachment], steps: Steps) -> str:
        return attach(self.client, entry, files, steps)

    def attach_calls(self, files: int) -> int:
        return calls(files)


def created_id(answer: dict[str, Any], what: str) -> str:
    ident = answer.get("ID")
    if not ident:
        raise ApiError(
            f"Exact Online created an {what} but did not say its ID",
            hint="the next run looks it up before creating it again",
        )
    return str(ident)
