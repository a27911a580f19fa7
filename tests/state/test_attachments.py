"""The attachment queue and its steps: queued with a booking, attached once, a step never made twice."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from connector.contract.records import AttachmentTarget
from connector.state.store import StateStore

ENTRY = AttachmentTarget("invoice:a1", "invoice", "2026 / 1", "entry-1", "account-1", date(2026, 3, 2))


def test_a_queued_document_waits_until_attached_and_is_then_never_queued_again(state_dir: Path) -> None:
    with StateStore.for_client(state_dir, "acme") as store:
        store.attachment_queue(ENTRY, ("ubl", "pdf"))
        (waiting,) = store.attachments_waiting()
        assert waiting.entry == ENTRY and waiting.formats == ("ubl", "pdf")
        store.attachment_fail("invoice:a1", "refused", "try later")
        (failed,) = store.attachments_waiting()
        assert (failed.status, failed.attempts, failed.last_error) == ("failed", 1, "refused")
        store.attachment_done("invoice:a1", "document-1")
        store.attachment_queue(ENTRY, ("pdf",))  # a relink of the same document: left as it is
        store.attachment_fail("invoice:a1", "late failure")
        assert store.attachments_waiting() == []
        done = store.attachment_get("invoice:a1")
        assert done is not None and (done.status, done.target_id, done.last_error) == (
            "attached",
            "document-1",
            None,
        )
        assert store.attachment_counts() == {"queued": 0, "attached": 1, "failed": 0}


def test_steps_survive_a_reopened_store_begun_apart_from_finished(state_dir: Path) -> None:
    with StateStore.for_client(state_dir, "acme") as store:
        steps = store.attachment_steps("invoice:a1")
        steps.begin("document")
        steps.finish("document", "document-1")
        steps.begin("file invoice-2026-1.pdf")
    with StateStore.for_client(state_dir, "acme") as store:
        steps = store.attachment_steps("invoice:a1")
        assert steps.done("document") == "document-1" and not steps.begun("document")
        assert steps.begun("file invoice-2026-1.pdf") and steps.done("file invoice-2026-1.pdf") is None
        assert not steps.begun("link") and steps.done("link") is None
        assert store.attachment_steps("invoice:other").done("document") is None


def test_a_document_booked_again_on_a_new_entry_gets_its_files_anew(state_dir: Path) -> None:
    """After `ledger unlink` and a new booking (the old entry was deleted), the new entry is not
    left without files because the old one had them."""
    with StateStore.for_client(state_dir, "acme") as store:
        store.attachment_queue(ENTRY, ("pdf",))
        store.attachment_steps("invoice:a1").finish("document", "document-1")
        store.attachment_done("invoice:a1", "document-1")
        again = AttachmentTarget(
            "invoice:a1", "invoice", "2026 / 1", "entry-2", "account-1", date(2026, 3, 2)
        )
        store.attachment_queue(again, ("pdf",))
        (waiting,) = store.attachments_waiting()
        assert waiting.entry.entry_id == "entry-2" and waiting.status == "queued"
        assert store.attachment_steps("invoice:a1").done("document") is None
