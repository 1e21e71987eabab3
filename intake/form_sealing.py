"""The server path: a posted multipart form sealed into an envelope while it streams in, in memory only.

Werkzeug's own form parsing spools large files to temporary files: plaintext on disk. This module never
lets it run; it reads the raw request body through Werkzeug's event decoder and hands every piece of text
and every file straight to the envelope writer, whose output (ciphertext) is all that reaches the disk.

The form sends ``csrf_token`` first, then the text fields, then the files (docs/source-intake.md), so the
request is authorised before anything is encrypted and the answers become part 1 of the envelope. Hidden
metadata (GPS, camera, author...) is removed from each file as it streams through (intake/metadata/),
unless the source chose to keep the files as they are; what was removed is sealed as a last part.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import BinaryIO

from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData, Preamble

from core import answers
from crypto.envelope import CHUNK, NAME_MAX, EnvelopeWriter
from crypto.keys import PublicKey
from intake import metadata

#: What the decoder may hold at once; the body is fed in envelope-chunk pieces, so it stays near that.
_DECODER_BUFFER = 4 * CHUNK


class FormRefused(Exception):
    """The form cannot be sealed; ``code`` picks the translated explanation shown to the source."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(detail or code)
        self.code = code


@dataclass(frozen=True)
class Controls:
    """The control fields read before anything is sealed."""

    csrf_token: str
    follow_up_key: str | None
    #: The form's one-time nonce (core/form_nonces.py), as posted.
    form_nonce: str | None


@dataclass(frozen=True)
class SealedForm:
    """What the server may know of a sealed form: no text, only counts and sizes, and how many attachments
    could not be cleaned of hidden metadata (so that the source can be told)."""

    size: int
    attachments: int
    key_ids: tuple[bytes, ...]
    not_cleaned: int = 0


def seal_form(
    body: BinaryIO,
    boundary: bytes,
    recipients: Sequence[PublicKey],
    out: BinaryIO,
    *,
    lang: str,
    authorise: Callable[[Controls], None],
) -> SealedForm:
    """Seal the multipart ``body`` to ``recipients`` into ``out``.

    ``authorise`` sees the control fields before anything is encrypted and raises to refuse. Raises
    :class:`FormRefused` for a form that is not ours (order, names, sizes, encoding) or holds nothing."""
    sealer = _Sealer(recipients, out, lang, authorise)
    decoder = MultipartDecoder(boundary, max_form_memory_size=_DECODER_BUFFER)
    finished = False
    while not finished:
        try:
            event = decoder.next_event()
        except ValueError as exc:
            raise FormRefused("bad_form", "the form data is malformed") from exc
        if isinstance(event, NeedData):
            if decoder.complete:
                raise FormRefused("bad_form", "the form data ended early")
            piece = body.read(CHUNK)
            decoder.receive_data(piece or None)
        elif isinstance(event, (Field, File)):
            sealer.begin(event)
        elif isinstance(event, Data):
            sealer.data(event.data, event.more_data)
        elif isinstance(event, Epilogue):
            finished = True
        elif not isinstance(event, Preamble):
            raise FormRefused("bad_form", f"unexpected form event {type(event).__name__}")
    return sealer.close()


class _Sealer:
    """The state of one form being sealed: fields gathered, then files streamed into the writer."""

    def __init__(
        self, recipients: Sequence[PublicKey], out: BinaryIO, lang: str, authorise: Callable[[Controls], None]
    ) -> None:
        self._recipients = recipients
        self._out = out
        self._lang = lang
        self._authorise = authorise
        self._csrf_token: str | None = None
        self._follow_up_key: str | None = None
        self._form_nonce: str | None = None
        self._authorised = False
        self._pairs: list[tuple[str, str]] = []
        self._text_bytes = 0
        self._writer: EnvelopeWriter | None = None
        self._field: str | None = None
        self._field_value = bytearray()
        self._in_file = False
        self._skipping = False
        self._attachments = 0
        self._keep_metadata = False
        self._cleaner: metadata.Cleaner | None = None
        self._files: list[dict[str, object]] = []

    def begin(self, event: Field | File) -> None:
        if isinstance(event, Field):
            if self._attachments:
                raise FormRefused("bad_form", "a text field came after the files")
            # A part without a name (event.name is None) is not ours either.
            if not event.name or not answers.is_field_name(event.name):
                raise FormRefused("bad_form", "an unknown form field")
            self._field = event.name
            self._field_value.clear()
            return
        self._ensure_authorised()
        # A file input left empty still sends a part, with no file name: nothing to keep.
        self._skipping = not event.filename
        if self._skipping:
            return
        writer = self._answers_written()
        name = _part_name(event.filename)
        writer.begin_part(name, _media_type(event.headers.get("Content-Type")))
        self._files.append({"name": name})
        self._cleaner = None if self._keep_metadata else metadata.Cleaner()
        self._in_file = True
        self._attachments += 1

    def data(self, data: bytes, more: bool) -> None:
        if self._field is not None:
            self._text_bytes += len(data)
            if len(self._field_value) + len(data) > answers.FIELD_MAX_BYTES or (
                self._text_bytes > answers.FIELDS_MAX_BYTES
            ):
                raise FormRefused("too_much_text", "a text field is too long")
            self._field_value += data
            if not more:
                self._end_field()
        elif self._in_file:
            assert self._writer is not None
            self._writer.write(self._cleaner.feed(data) if self._cleaner else data)
            if not more:
                self._end_file()
        elif self._skipping and not more:
            self._skipping = False

    def close(self) -> SealedForm:
        self._ensure_authorised()
        if self._writer is None and not answers.collect(self._pairs):
            raise FormRefused("empty" if self._follow_up_key else "no_account", "no answer and no file")
        writer = self._answers_written()
        if self._files:
            writer.begin_part(answers.FILES_PART, "application/json")
            writer.write(answers.files_document(self._files))
        writer.close()
        return SealedForm(
            size=writer.bytes_written,
            not_cleaned=sum(1 for entry in self._files if entry.get("complete") is False),
            attachments=self._attachments,
            key_ids=tuple(dict.fromkeys(key.key_id for key in self._recipients)),
        )

    def _end_file(self) -> None:
        """The file's last bytes out of the cleaner, and what it removed, for the files part."""
        assert self._writer is not None
        self._in_file = False
        entry = self._files[-1]
        if self._cleaner is None:
            entry["kept"] = True
            return
        self._writer.write(self._cleaner.finish())
        report = self._cleaner.report
        entry.update(kind=report.kind, removed=list(report.removed), complete=report.complete)
        self._cleaner = None

    def _end_field(self) -> None:
        name, self._field = self._field, None
        assert name is not None
        try:
            value = self._field_value.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FormRefused("bad_form", "a text field is not UTF-8") from exc
        finally:
            self._field_value.clear()
        # Browsers send the text as typed; NFC keeps one spelling of each Hangul syllable.
        value = unicodedata.normalize("NFC", value)
        if name == "csrf_token":
            if self._pairs or self._csrf_token is not None:
                raise FormRefused("csrf", "the CSRF token must come first")
            self._csrf_token = value
        elif name == "form_nonce":
            if self._authorised or self._form_nonce is not None:
                raise FormRefused("bad_form", "the form nonce must come before the answers")
            self._form_nonce = value
        elif name == "follow_up_key":
            if self._authorised or self._follow_up_key is not None:
                raise FormRefused("bad_form", "the follow-up key must come before the answers")
            self._follow_up_key = value
        else:
            self._ensure_authorised()
            self._pairs.append((name, value))

    def _ensure_authorised(self) -> None:
        if self._authorised:
            return
        if self._csrf_token is None:
            raise FormRefused("csrf", "the form has no CSRF token")
        self._authorise(Controls(self._csrf_token, self._follow_up_key, self._form_nonce))
        self._authorised = True

    def _answers_written(self) -> EnvelopeWriter:
        """The writer, with the answers sealed as part 1 (once: when the first file begins, or at the end)."""
        if self._writer is None:
            fields = self._fields()
            self._keep_metadata = fields.get(answers.KEEP_METADATA) == "yes"
            if self._follow_up_key is None and not answers.tells_what_happened(fields):
                raise FormRefused("no_account", "a new account must say what happened")
            self._writer = EnvelopeWriter(self._out, self._recipients)
            self._writer.begin_part(answers.ANSWERS_PART, "application/json")
            self._writer.write(answers.document(fields, lang=self._lang, path="server"))
        return self._writer

    def _fields(self) -> dict[str, str | list[str]]:
        # Names were checked as each field began, so collect() has nothing left to refuse.
        fields = answers.collect(self._pairs)
        self._pairs.clear()
        return fields


def _part_name(filename: str) -> str:
    """A file name as the browser gave it, cut to the envelope's limit but keeping its extension."""
    name = unicodedata.normalize("NFC", filename).replace("\x00", "")
    if len(name) > NAME_MAX:
        stem, dot, suffix = name.rpartition(".")
        keep = suffix if dot and len(suffix) <= 16 else ""
        name = name[: NAME_MAX - len(keep) - 1] + ("." + keep if keep else "")
    return name or "file"


def _media_type(value: str | None) -> str:
    media_type = (value or "").split(";")[0].strip()
    return media_type[:NAME_MAX] if media_type else "application/octet-stream"
