// static/js/reviewer-answers.js turns answers.json into labelled rows that the page shows as text:
// codes become their labels, people are grouped, unknown fields keep their name, nothing is dropped.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
const reader = require(path.join(ROOT, 'static/js/reviewer-answers.js'));

const labels = {
  fields: { what_happened: '무슨 일', violations: '위반', submitter: '누가' },
  values: { violations: { forced_labour: '강제 노동' }, submitter: { survivor: '본인' } },
  person: { heading: '사람 {n}', name: '이름', unit: '소속' },
};

describe('answerRows', () => {
  it('labels fields in the form order and names coded values', () => {
    const rows = reader.answerRows({
      fields: { violations: ['forced_labour', 'unknown_code'], what_happened: '<b>x</b>', submitter: 'survivor' },
    }, labels);
    assert.deepEqual(rows, [
      { label: '누가', values: ['본인'] },
      { label: '무슨 일', values: ['<b>x</b>'] },
      { label: '위반', values: ['강제 노동', 'unknown_code'] },
    ]);
  });

  it('groups people by number and keeps unknown fields', () => {
    const rows = reader.answerRows({
      fields: { 'who-2-name': 'B', 'who-1-unit': 'U', 'who-1-name': 'A', extra: 'E' },
    }, labels);
    assert.deepEqual(rows.map((r) => [r.label, r.values[0]]), [
      ['사람 1 · 이름', 'A'], ['사람 1 · 소속', 'U'], ['사람 2 · 이름', 'B'], ['extra', 'E'],
    ]);
  });

  it('does not trust the prototype chain of the labels', () => {
    const rows = reader.answerRows({ fields: { submitter: 'constructor' } }, labels);
    assert.deepEqual(rows, [{ label: '누가', values: ['constructor'] }]);
  });
});

describe('consentQuery', () => {
  it('carries the four consent answers and nothing else', () => {
    const query = reader.consentQuery({
      fields: {
        consent_documentation: 'yes', consent_sanctions: 'no', consent_public: 'yes', consent_contact: 'no',
        what_happened: 'never in a URL',
      },
    });
    assert.equal(
      query, 'consent_documentation=yes&consent_sanctions=no&consent_public=yes&consent_contact=no',
    );
  });

  it('is empty for a document without consent answers, and ignores anything but yes or no', () => {
    assert.equal(reader.consentQuery({ fields: { what_happened: 'more' } }), '');
    assert.equal(reader.consentQuery({ fields: { consent_sanctions: 'yes&x=1' } }), '');
    assert.equal(reader.consentQuery(null), '');
  });
});
