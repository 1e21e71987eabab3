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

describe('filesLines', () => {
  const words = {
    kept: 'kept', removed: 'removed:', nothing: 'nothing found', unsupported: 'not cleaned here',
    incomplete: 'not fully cleaned', categories: { gps: 'place', device: 'device' },
  };

  it('says per attachment what hidden details were removed, kept, or could not be', () => {
    const lines = reader.filesLines({
      format: 'sori-files/1',
      files: [
        { name: 'a.jpg', kind: 'jpeg', removed: ['gps', 'device'], complete: true },
        { name: 'b.png', kind: 'png', removed: [], complete: true },
        { name: 'c.pdf', kind: 'pdf', removed: ['time'], complete: false },
        { name: 'd.mp4', kind: null, removed: [], complete: false },
        { name: 'e.jpg', kept: true },
      ],
    }, words);
    assert.deepEqual(lines, [
      'a.jpg: removed: place, device',
      'b.png: nothing found',
      'c.pdf: removed: time; not fully cleaned',
      'd.mp4: not cleaned here',
      'e.jpg: kept',
    ]);
  });

  it('is null for an attachment that only has the name of the files part', () => {
    assert.equal(reader.filesLines({ what: 'ever' }, words), null);
    assert.equal(reader.filesLines(null, words), null);
  });
});
