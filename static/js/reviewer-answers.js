/*
 * reviewer-answers.js: what a reviewer's page shows of a decrypted account (answers.json), as labelled rows
 * that reviewer-read.js puts on the page as text (textContent only, never HTML), and the consent answers it
 * carries to the records page. Pure functions, no DOM: in a page they are window.SoriAnswers (loaded before
 * reviewer-read.js), in Node the module's exports, for tests/js.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SoriAnswers = factory();
})(typeof self !== 'undefined' ? self : this, function () {
  'use strict';

  const PERSON_FIELD = /^who-([1-9][0-9]?)-(name|position|unit|description)$/;
  // Fields shown first, in the order of the form; any other field follows under its own name.
  const FIELD_ORDER = [
    'submitter', 'on_behalf_of', 'what_happened', 'when_kind', 'when_date', 'when_year', 'when_month',
    'when_season', 'when_from_year', 'when_from_month', 'when_to_year', 'when_to_month', 'where_facility',
    'where_division', 'where_other', 'violations', 'consent_documentation', 'consent_sanctions',
    'consent_public', 'consent_contact',
  ];
  // The consent questions of the form, which the records page records in the clear (reviewer/records).
  const CONSENT_FIELDS = ['consent_documentation', 'consent_sanctions', 'consent_public', 'consent_contact'];

  /**
   * The query that carries the source's consent answers to the records page, which pre-fills its consent
   * boxes from it for the reviewer to check: "consent_sanctions=yes&consent_public=no..."; empty when the
   * document answers none of the consent questions (a follow-up, or not the answers format).
   * @param {object} doc the parsed answers.json
   */
  function consentQuery(doc) {
    const fields = (doc && typeof doc.fields === 'object' && doc.fields) || {};
    const query = new URLSearchParams();
    for (const name of CONSENT_FIELDS) {
      if (fields[name] === 'yes' || fields[name] === 'no') query.set(name, fields[name]);
    }
    return query.toString();
  }

  /**
   * What to show for an answers document, in order: [{label, values: [string]}]. Codes (who is telling,
   * violations, consent...) become their translated labels; people come after the form's fields, one
   * group per person; unknown fields keep their name. Every string is shown as text by the caller.
   * @param {object} doc the parsed answers.json
   * @param {object} labels the page's data-labels
   */
  function answerRows(doc, labels) {
    const fields = (doc && typeof doc.fields === 'object' && doc.fields) || {};
    const fieldLabels = labels.fields || {};
    const valueLabels = labels.values || {};
    const person = labels.person || {};
    const rows = [];
    const valuesOf = (name, raw) => {
      const list = Array.isArray(raw) ? raw : [raw];
      const map = valueLabels[name] || {};
      return list.map((v) => (typeof v === 'string' && Object.prototype.hasOwnProperty.call(map, v) ? map[v] : String(v)));
    };
    for (const name of FIELD_ORDER) {
      if (Object.prototype.hasOwnProperty.call(fields, name)) {
        rows.push({ label: fieldLabels[name] || name, values: valuesOf(name, fields[name]) });
      }
    }
    const people = new Map();
    const others = [];
    for (const name of Object.keys(fields)) {
      if (FIELD_ORDER.includes(name)) continue;
      const match = PERSON_FIELD.exec(name);
      if (match) {
        const n = Number(match[1]);
        if (!people.has(n)) people.set(n, []);
        people.get(n).push({ part: match[2], value: fields[name] });
      } else {
        others.push(name);
      }
    }
    const partOrder = ['name', 'position', 'unit', 'description'];
    for (const n of Array.from(people.keys()).sort((a, b) => a - b)) {
      const heading = String(person.heading || 'Person {n}').replace('{n}', String(n));
      const entries = people.get(n).sort((a, b) => partOrder.indexOf(a.part) - partOrder.indexOf(b.part));
      for (const entry of entries) {
        rows.push({ label: heading + ' · ' + (person[entry.part] || entry.part), values: valuesOf('', entry.value) });
      }
    }
    for (const name of others.sort()) rows.push({ label: name, values: valuesOf(name, fields[name]) });
    return rows;
  }

  /**
   * What the files part (files.json, the envelope's last part) says of each attachment, one line each:
   * kept as it was, or the hidden details removed before sealing, or a warning that it could not be
   * cleaned. Null when the part is not in that format (an attachment that happens to have its name).
   * @param {object} doc the parsed files.json
   * @param {object} labels labels.files of the page
   * @returns {string[]|null}
   */
  function filesLines(doc, labels) {
    if (!doc || doc.format !== 'sori-files/1' || !Array.isArray(doc.files)) return null;
    return doc.files.map((entry) => {
      const name = String(entry && entry.name);
      if (entry.kept) return name + ': ' + labels.kept;
      if (entry.kind === null || entry.kind === undefined) return name + ': ' + labels.unsupported;
      const removed = (Array.isArray(entry.removed) ? entry.removed : []).map((c) => labels.categories[c] || String(c));
      let line = name + ': ' + (removed.length ? labels.removed + ' ' + removed.join(', ') : labels.nothing);
      if (entry.complete === false) line += '; ' + labels.incomplete;
      return line;
    });
  }

  return { answerRows, consentQuery, filesLines };
});
