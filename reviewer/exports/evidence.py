"""A dossier's evidence as it may travel: pseudonymous source references, the digests of the encrypted
envelopes relied on (streamed from wherever the bytes are kept), and what reviewers recorded in the
target's favour."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session, undefer

from core import submissions
from core.models import Envelope
from reviewer.exports.dossier_reading import BATCH
from reviewer.exports.model import EvidenceDocument
from reviewer.records.models import Facility, Involvement, Organization, Person, Source

_HASH_CHUNK = 1 << 16


def source_refs(session: Session, keys: set[str]) -> dict[str, str]:
    """Source key (``s<id>``) -> pseudonymous reference. Included evidence always has a recorded source,
    since consent is only known through one."""
    ids = sorted(int(key[1:]) for key in keys if key.startswith("s"))
    refs = {}
    for start in range(0, len(ids), BATCH):
        query = select(Source.id, Source.ref).where(Source.id.in_(ids[start : start + BATCH]))
        refs.update({f"s{source_id}": ref for source_id, ref in session.execute(query)})
    return refs


def documents(session: Session, submission_refs: dict[str, str]) -> tuple[EvidenceDocument, ...]:
    """The SHA-256 (and SHA-1, FollowTheMoney's content hash) of every envelope of the included
    submissions, streamed from wherever the bytes are kept. Submission ids stay inside: only the source
    reference, the digests, the size and the day of receipt travel."""
    documents = []
    ids = sorted(submission_refs)
    for start in range(0, len(ids), BATCH):
        query = (
            select(Envelope)
            .options(undefer(Envelope.ciphertext))
            .where(Envelope.submission_id.in_(ids[start : start + BATCH]))
        )
        for envelope in session.scalars(query):
            sha256, sha1 = hashlib.sha256(), hashlib.sha1(usedforsecurity=False)  # FtM's content hash
            with submissions.open_envelope(envelope) as stream:
                while chunk := stream.read(_HASH_CHUNK):
                    sha256.update(chunk)
                    sha1.update(chunk)
            documents.append(
                EvidenceDocument(
                    source_ref=submission_refs[envelope.submission_id],
                    sha256=sha256.hexdigest(),
                    size=envelope.ciphertext_size,
                    received_on=envelope.received_on.isoformat(),
                    sha1=sha1.hexdigest(),
                )
            )
            # The ciphertext was only needed for the digest; do not keep thousands in the session.
            session.expunge(envelope)
    return tuple(sorted(documents, key=lambda doc: (doc.source_ref, doc.received_on, doc.sha256)))


def exculpatory(session: Session, kind: str, target_id: int, act_ids: list[int]) -> tuple[str, ...]:
    """What reviewers recorded in the target's favour: on the record itself and, for the listed acts, on the
    involvements (the target's own for a person; every one for an organization or a facility)."""
    model = {"person": Person, "organization": Organization, "facility": Facility}[kind]
    texts = [session.get(model, target_id).exculpatory]  # type: ignore[attr-defined]
    for start in range(0, len(act_ids), BATCH):
        query = select(Involvement.exculpatory).where(
            Involvement.act_id.in_(act_ids[start : start + BATCH]), Involvement.exculpatory.is_not(None)
        )
        if kind == "person":
            query = query.where(Involvement.person_id == target_id)
        texts.extend(session.scalars(query.order_by(Involvement.act_id, Involvement.id)))
    seen: list[str] = []
    for text in texts:
        if text and text.strip() and text.strip() not in seen:
            seen.append(text.strip())
    return tuple(seen)
