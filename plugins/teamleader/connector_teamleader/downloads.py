"""A booked document's files from Teamleader: its PDF, or its UBL e-invoice (Peppol BIS 3).

`invoices.download` / `creditNotes.download` with `id` and `format` (`pdf`, `ubl/e-fff`,
`ubl/peppol_bis_3`) answer ``{"data": {"location": …, "expires": …}}``: a temporary URL, not the
file (notes §7.1, §"Evidence 2026-12", Documents). The file is then fetched from that location
without the bearer token (it is a signed link on Teamleader's file host). So one file costs two
calls: the download and the fetch. A location that no longer answers (it expired while the run
waited for budget, say) is asked for once more.
"""

from __future__ import annotations

import re
from typing import Any

from connector.contract.errors import ApiError
from connector.contract.records import Attachment, AttachmentFormat, AttachmentTarget

from .client import TeamleaderClient

FORMATS: dict[str, str] = {"pdf": "pdf", "ubl": "ubl/peppol_bis_3"}
"""Peppol BIS Billing 3.0: the UBL that Belgian B2B e-invoicing requires since 2026 (notes)."""
ENDPOINTS = {"invoice": "invoices.download", "credit_note": "creditNotes.download"}
FILES: dict[str, tuple[str, str, bytes]] = {
    "pdf": ("pdf", "application/pdf", b"%PDF-"),
    "ubl": ("xml", "application/xml", b"<"),
}
GONE = (403, 404, 410)  # what a signed link answers once it has expired


def filename(entry: AttachmentTarget, file_format: AttachmentFormat) -> str:
    """`invoice-2026-27.pdf`: the document's number, in characters every system keeps."""
    number = re.sub(r"[^A-Za-z0-9]+", "-", entry.number).strip("-") or entry.document_id
    return f"{entry.kind.replace('_', '-')}-{number}.{FILES[file_format][0]}"


def download(client: TeamleaderClient, entry: AttachmentTarget, file_format: AttachmentFormat) -> Attachment:
    endpoint = ENDPOINTS[entry.kind]
    for attempt in (1, 2):
        data = client.data(endpoint, {"id": entry.document_id, "format": FORMATS[file_format]})
        location = data.get("location") if isinstance(data, dict) else None
        if not isinstance(location, str) or not location:
            raise ApiError(f"Teamleader answered {endpoint} without a location", hint=_HINT)
        try:
            response = client.request(
                "GET", location, endpoint="download.location", safe=True, authenticated=False
            )
        except ApiError as error:
            if error.status in GONE and attempt == 1:
                continue  # expired before it was fetched: a new location
            raise
        return _attachment(entry, file_format, response.content, response.headers.get("Content-Type"))
    raise AssertionError("unreachable")  # pragma: no cover


def _attachment(
    entry: AttachmentTarget, file_format: AttachmentFormat, content: bytes, content_type: Any
) -> Attachment:
    _, wanted_type, starts = FILES[file_format]
    if not content.lstrip().startswith(starts):
        raise ApiError(
            f"Teamleader's {file_format.upper()} of {entry.number} is not a {file_format.upper()} file "
            f"({len(content)} bytes starting {content[:16]!r})",
            hint=_HINT,
        )
    kind = str(content_type or wanted_type).split(";")[0].strip() or wanted_type
    return Attachment(file_format, filename(entry, file_format), kind, content)


_HINT = "the entry stays booked; the next run downloads the document again"


class DownloadingSource:
    """What `TeamleaderSource` does for `sync.attachments`: a download and a fetch per file."""

    client: TeamleaderClient
    download_calls = 2

    def download(self, document: AttachmentTarget, format: AttachmentFormat) -> Attachment:
        return download(self.client, document, format)
