"""Demo content for a first look at Sori: reviewer identities with their passphrases in plain sight, and a
few fictional accounts waiting in the inbox.

Everything made here is marked as demo and lives under ``<data>/demo/``; it is for trying Sori on a laptop,
never for real testimony.
"""

from __future__ import annotations

import io
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import answers, db, recipients, submissions
from core.models import Submission
from crypto.envelope import encrypt_parts
from crypto.keys import Identity, read_identity_public_key

DEMO_REVIEWERS = ("demo-reviewer-a", "demo-reviewer-b")
_WORDS = ("bada", "san", "kang", "namu", "haneul", "byeol", "baram", "kkot", "dal", "hae", "bom", "gaeul")


@dataclass(frozen=True)
class DemoReviewer:
    """A demo reviewer's identity file, its passphrase and its fingerprint."""

    name: str
    identity_path: Path
    passphrase: str
    fingerprint: str


def create_demo_reviewers(demo_dir: Path) -> list[DemoReviewer]:
    """Make (once) the demo identities and register them as recipients; running it again changes nothing."""
    demo_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    session = db.session()
    made = []
    for name in DEMO_REVIEWERS:
        identity_path = demo_dir / f"{name}.identity"
        passphrase_path = demo_dir / f"{name}.passphrase.txt"
        if not identity_path.exists():
            passphrase = "-".join(secrets.choice(_WORDS) for _ in range(4)) + f"-{secrets.randbelow(100)}"
            identity = Identity.generate()
            _write_private(passphrase_path, passphrase + "\n")
            _write_private(identity_path, identity.wrap(passphrase))
        passphrase = passphrase_path.read_text(encoding="utf-8").strip()
        key = read_identity_public_key(identity_path.read_text(encoding="utf-8"))
        try:
            recipients.add(session, name, key.text)
        except (recipients.DuplicateName, recipients.DuplicateKey):
            pass  # registered by an earlier run
        made.append(DemoReviewer(name, identity_path, passphrase, key.fingerprint))
    session.commit()
    return made


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(text)


#: Fictional accounts, clearly marked, so that the inbox shows something on a first run.
DEMO_ACCOUNTS: tuple[tuple[dict[str, object], tuple[tuple[str, str, bytes], ...]], ...] = (
    (
        {
            "submitter": "survivor",
            "what_happened": "[가상의 예시 — 실제 증언이 아닙니다] 2019년 겨울 중국에서 강제북송된 뒤 "
            "온성 보위부 구류장에서 한 달 동안 예심을 받았습니다. 예심원이 매일 밤 때렸고, "
            "몇 시간씩 꿇어앉아 있게 했습니다.",
            "when_kind": "approximate",
            "when_year": "2019",
            "when_season": "winter",
            "where_facility": "온성군 보위부 구류장",
            "where_division": "north-hamgyong/onsong",
            "who-1-name": "김 예심원 (가명)",
            "who-1-position": "예심원",
            "who-1-unit": "온성군 보위부",
            "violations": ["torture_interrogation", "stress_positions", "repatriation_persecution"],
            "consent_documentation": "yes",
            "consent_sanctions": "yes",
            "consent_public": "no",
            "consent_contact": "yes",
        },
        (),
    ),
    (
        {
            "submitter": "witness",
            "what_happened": "[Fictional example — not real testimony] In 2017 I was held at a labour "
            "training camp in Hoeryong. I saw guards deny a sick woman any medical care; she died two "
            "weeks later.",
            "when_kind": "exact",
            "when_date": "2017-03-14",
            "where_facility": "Hoeryong labour training camp",
            "violations": ["medical_denial", "death_in_custody", "forced_labour"],
            "consent_documentation": "yes",
            "consent_sanctions": "yes",
            "consent_public": "yes",
            "consent_contact": "no",
        },
        (),
    ),
    (
        {
            "submitter": "intermediary",
            "on_behalf_of": "K.",
            "what_happened": "[가상의 예시 — 실제 증언이 아닙니다] 면담자가 대신 적습니다. 함흥 "
            "집결소에서 여성들이 옷을 벗고 몸수색을 당했다고 합니다. 손으로 그린 약도를 덧붙입니다.",
            "where_facility": "함흥 집결소",
            "violations": ["forced_nudity_search", "inhumane_conditions"],
            "consent_documentation": "yes",
            "consent_sanctions": "no",
            "consent_public": "no",
            "consent_contact": "no",
        },
        (("약도.txt", "text/plain", "가상의 약도 (fictional sketch): 정문 → 감방 3칸 → 취조실".encode()),),
    ),
)


def create_demo_submissions(session: Session) -> int:
    """Seal the fictional accounts to the current recipients, once (nothing is added if any submission
    exists); returns how many were added."""
    if session.scalar(select(func.count()).select_from(Submission)):
        return 0
    keys = submissions.recipient_keys(session)
    for fields, files in DEMO_ACCOUNTS:
        out = io.BytesIO()
        parts = [
            (answers.ANSWERS_PART, "application/json", answers.document(fields, lang="ko", path="server"))
        ]
        encrypt_parts(out, keys, [*parts, *files])
        envelope = out.getvalue()
        key_ids = tuple(dict.fromkeys(key.key_id for key in keys))
        # A receipt nobody holds: demo accounts are not meant to be followed up.
        submissions.new_submission(
            session,
            secrets.token_bytes(32),
            envelope,
            len(envelope),
            key_ids,
            "server",
            source_public_key=Identity.generate().public_key.text,
        )
    return len(DEMO_ACCOUNTS)
