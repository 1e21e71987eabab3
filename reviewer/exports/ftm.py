"""A dossier as FollowTheMoney entities (JSON lines), the data model of OpenSanctions and Aleph.

- the target and every official it names: ``Person`` (names, aliases, weak aliases, birth date, birth
  place, nationality, gender, identifiers);
- organizations: ``PublicBody`` for state bodies (ministries, bureaus, units), ``Organization`` otherwise,
  with ``parent`` pointing one level up;
- posts: ``Position`` (in its organization) and ``Occupancy`` (holder, post, start and end);
- facilities and places: ``Address`` (name, region, country, coordinates);
- acts: ``Event`` (date or period, the persons involved, the place, and ``proof`` pointing to documents);
- the envelopes relied on: ``Document`` with the source's reference as its title and the envelope's SHA-1
  as ``contentHash`` (FollowTheMoney's checksum type), its SHA-256 in the description;
- for a sanctions submission only, one ``Sanction`` per regime with status ``proposed``: what this dossier
  asks for, never a listing. Possible matches in imported sanctions lists are left to reviewers and are
  not asserted here.

Labels are in English (machine-readable output); names keep every form, Hangul included. Entity ids are
derived from the record ids (``make_id``), so exporting the same records again gives the same ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from flask_babel import force_locale
from followthemoney import model
from followthemoney.proxy import EntityProxy

from core import divisions
from reviewer.exports import legal
from reviewer.exports.model import Dossier, OrganizationRef, PostHeld, Target
from reviewer.records import vocab

#: Organization kinds exported as PublicBody (the rest as Organization).
PUBLIC_BODY_KINDS = frozenset({"ministry", "bureau", "unit"})
#: The body that would list a target under each regime, as a Sanction's ``authority``.
AUTHORITIES = {
    "eu": "Council of the European Union",
    "uk": "United Kingdom Foreign, Commonwealth and Development Office",
    "us": "United States Department of the Treasury, Office of Foreign Assets Control",
}
_ID_PREFIX = "sori"
_IDENTIFIER_PROPERTIES = {"passport": "passportNumber"}


def render(dossier: Dossier) -> bytes:
    """The dossier's entities, one JSON object a line, in a stable order."""
    with force_locale("en"):
        entities = list(_Entities(dossier).all())
    lines = (json.dumps(entity.to_dict(), ensure_ascii=False, sort_keys=True) for entity in entities)
    return "".join(line + "\n" for line in lines).encode("utf-8")


def entity_id(kind: str, record_id: int | str) -> str:
    """The FtM id of a record of ``kind``."""
    entity = model.make_entity("Thing")
    return str(entity.make_id(_ID_PREFIX, kind, str(record_id)))


class _Entities:
    """Collects the entities of one dossier, each made once."""

    def __init__(self, dossier: Dossier) -> None:
        self.dossier = dossier
        self.made: dict[str, EntityProxy] = {}

    def all(self) -> Iterable[EntityProxy]:
        dossier = self.dossier
        target = self._target(dossier.target)
        for organization in dossier.chain_up:
            self._organization(organization)
        for post in (*dossier.target.posts, *dossier.superiors, *dossier.subordinates):
            self._occupancy(post)
        documents_by_ref: dict[str, list[str]] = {}
        for document in dossier.documents:
            proxy = self._new("Document", "document", document.sha256)
            proxy.add("title", document.source_ref)
            proxy.add("fileName", f"envelope-{document.sha256[:16]}.sori")
            proxy.add("contentHash", document.sha1)
            proxy.add("fileSize", document.size)
            proxy.add("date", document.received_on)
            proxy.add("mimeType", "application/octet-stream")
            proxy.add("description", f"Sori envelope, SHA-256 {document.sha256}")
            documents_by_ref.setdefault(document.source_ref, []).append(proxy.id)
        refs_by_act: dict[int, set[str]] = {}
        for use in dossier.evidence:
            refs_by_act.setdefault(use.act_id, set()).add(use.source_ref)
        for conduct in dossier.conduct:
            event = self._new("Event", "act", conduct.act_id)
            event.add("name", f"{vocab.VIOLATIONS[conduct.violation]}: {conduct.incident_title}")
            if conduct.date_end:
                event.add("startDate", conduct.date_start)
                event.add("endDate", conduct.date_end)
            else:
                event.add("date", conduct.date_start)
            event.add("summary", conduct.description)
            event.add("country", "kp")
            event.add("location", _place(conduct.place, conduct.county or conduct.province))
            if conduct.facility_id is not None:
                facility = self._facility_address(conduct.facility_id, conduct.facility_name or "")
                event.add("addressEntity", facility.id)
            for person_id, (name, _degree) in zip(conduct.perpetrator_ids, conduct.perpetrators, strict=True):
                event.add("involved", self._person_stub(person_id, name).id)
            if self.dossier.target.kind == "organization":
                event.add("involved", target.id)
            notes = [f"{name}: {vocab.DEGREES[degree]}" for name, degree in conduct.perpetrators]
            notes.append(f"Independent sources: {conduct.corroboration}")
            event.add("notes", notes)
            for ref in sorted(refs_by_act.get(conduct.act_id, ())):
                event.add("proof", documents_by_ref.get(ref, []))
        if dossier.purpose == "sanctions" and dossier.target.kind != "facility":
            for regime, categories in dossier.legal_basis.items():
                sanction = self._new("Sanction", "proposed-sanction", f"{dossier.target.kind}-{regime}")
                sanction.add("entity", target.id)
                sanction.add("authority", AUTHORITIES[regime])
                sanction.add("program", str(legal.REGIMES[regime]))
                sanction.add("status", "proposed")
                sanction.add("reason", [str(legal.CATEGORIES[code]) for code in categories])
                sanction.add("summary", "Proposed in this dossier; not a listing.")
        for proxy in self.made.values():
            # A parent above what the dossier shows is left out rather than pointed at in vain.
            if proxy.schema.get("parent") and proxy.has("parent") and proxy.first("parent") not in self.made:
                proxy.pop("parent")
        return sorted(self.made.values(), key=lambda proxy: (proxy.schema.name, proxy.id))

    def _new(self, schema: str, kind: str, record_id: int | str) -> EntityProxy:
        key = entity_id(kind, record_id)
        if key not in self.made:
            proxy = model.make_entity(schema)
            proxy.id = key
            self.made[key] = proxy
        return self.made[key]

    def _target(self, target: Target) -> EntityProxy:
        if target.kind == "person":
            proxy = self._new("Person", "person", target.id)
            for name in target.names:
                if name.kind == "alias":
                    proxy.add("weakAlias" if name.quality == "weak" else "alias", name.name)
                else:
                    proxy.add("name", name.name)
            if not proxy.has("name"):
                proxy.add("name", target.caption)
            proxy.add("birthDate", target.birth_date)
            proxy.add("birthPlace", target.birth_place)
            proxy.add("nationality", list(target.nationality))
            if target.gender in ("male", "female"):
                proxy.add("gender", target.gender)
            for identifier in target.identifiers:
                proxy.add(_IDENTIFIER_PROPERTIES.get(identifier.kind, "idNumber"), identifier.value)
            proxy.add("description", target.description)
            return proxy
        if target.kind == "organization":
            assert target.organization is not None
            proxy = self._organization(target.organization)
            proxy.add("description", target.description)
            return proxy
        proxy = self._facility_address(target.id, target.caption)
        for name in target.names:
            proxy.add("name", name.name)
        proxy.add("region", _division(target.county or target.province))
        if target.latitude is not None and target.longitude is not None:
            proxy.add("latitude", target.latitude)
            proxy.add("longitude", target.longitude)
        proxy.add("summary", [str(vocab.FACILITY_KINDS[target.facility_kind or "other"])])
        proxy.add("remarks", target.description)
        if target.organization is not None:
            self._organization(target.organization)
        return proxy

    def _organization(self, organization: OrganizationRef) -> EntityProxy:
        schema = "PublicBody" if organization.kind in PUBLIC_BODY_KINDS else "Organization"
        proxy = self._new(schema, "organization", organization.id)
        proxy.add("name", organization.name_ko)
        proxy.add("name", organization.name_en)
        proxy.add("jurisdiction", "kp")
        if organization.parent_id is not None:
            proxy.add("parent", entity_id("organization", organization.parent_id))
        return proxy

    def _person_stub(self, person_id: int, name: str) -> EntityProxy:
        proxy = self._new("Person", "person", person_id)
        if not proxy.has("name"):
            proxy.add("name", name)
        return proxy

    def _occupancy(self, post: PostHeld) -> None:
        holder = self._person_stub(post.person_id, post.person_name)
        self._organization(post.organization)
        position = self._new("Position", "position", post.position_id)
        position.add("name", post.title_ko)
        position.add("name", post.title_en)
        position.add("organization", entity_id("organization", post.organization.id))
        position.add("country", "kp")
        occupancy = self._new("Occupancy", "occupancy", post.occupancy_id)
        occupancy.add("holder", holder.id)
        occupancy.add("post", position.id)
        occupancy.add("startDate", post.start)
        occupancy.add("endDate", post.end)

    def _facility_address(self, facility_id: int, caption: str) -> EntityProxy:
        proxy = self._new("Address", "facility", facility_id)
        if not proxy.has("full"):
            proxy.add("full", caption)
            proxy.add("country", "kp")
        return proxy


def _division(code: str | None) -> str | None:
    if not code:
        return None
    try:
        return divisions.label(code, "en")
    except KeyError:
        return code


def _place(place: str | None, division: str | None) -> str | None:
    parts = [part for part in (place, _division(division)) if part]
    return ", ".join(parts) or None
