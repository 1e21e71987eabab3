// static/js/upload.js announces the envelope's size before encrypting (POST /api/uploads {size}):
// its arithmetic must match, byte for byte, what sori-envelope.js then writes. Also the receipt helpers of
// submit.js and status.js.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { webcrypto } from 'node:crypto';
import { ROOT, pattern, sori } from './helpers.mjs';

const require = createRequire(import.meta.url);
const submit = require(path.join(ROOT, 'static/js/submit.js'));
const upload = require(path.join(ROOT, 'static/js/upload.js'));
const status = require(path.join(ROOT, 'static/js/status.js'));
const attachments = require(path.join(ROOT, 'static/js/attachments.js'));

const CHUNK = 65536;
const keys = [1, 2, 3].map(() => sori.publicKeyFromRaw(sori.generateIdentity().publicKey).text);

/** The number of bytes encryptParts really writes for `parts` sealed to `recipients`. */
async function written(recipients, parts) {
  let total = 0;
  const result = await sori.encryptParts(recipients, parts, async (bytes) => { total += bytes.length; });
  assert.equal(result.length, total);
  return total;
}

function sizeOf(data) {
  return typeof data === 'string' ? new TextEncoder().encode(data).length : data.size ?? data.length;
}

const partSets = {
  'answers only': [{ name: 'answers.json', type: 'application/json', data: '{"fields":{}}' }],
  'Korean answers and an empty file': [
    { name: 'answers.json', type: 'application/json', data: JSON.stringify({ what_happened: '회령 보위부 구류장' }) },
    { name: '빈 파일.txt', type: 'text/plain', data: new Uint8Array(0) },
  ],
  'chunk boundaries': [
    { name: 'answers.json', type: 'application/json', data: '{}' },
    { name: 'a.bin', type: 'application/octet-stream', data: pattern(CHUNK - 1) },
    { name: 'b.bin', type: 'application/octet-stream', data: pattern(CHUNK) },
    { name: 'c.bin', type: 'application/octet-stream', data: pattern(CHUNK + 1) },
    { name: 'd.bin', type: 'application/octet-stream', data: new Blob([pattern(3 * CHUNK)]) },
  ],
  'names that JSON escapes': [
    { name: 'answers.json', type: 'application/json', data: '{}' },
    { name: 'say "hi"\\ \u0001 \u2028 😀.jpg', type: 'image/jpeg', data: pattern(10) },
    { name: 'x'.repeat(255), type: 't/' + 'y'.repeat(253), data: new Blob([pattern(1234567)]) },
  ],
};

describe('envelopeSize matches what sori-envelope.js writes', () => {
  for (const [label, parts] of Object.entries(partSets)) {
    // A key given twice is written once: the count is of distinct keys, as submit.js passes it.
    for (const recipients of [keys.slice(0, 1), keys, [keys[0], keys[1], keys[0]]]) {
      const distinct = new Set(recipients).size;
      it(`${label}, ${recipients.length} recipient(s), ${distinct} distinct`, async () => {
        const described = parts.map((p) => ({ name: p.name, type: p.type, size: sizeOf(p.data) }));
        assert.equal(upload.envelopeSize(distinct, described), await written(recipients, parts));
      });
    }
  }
});

describe('receipts', () => {
  it('draws 16 digits, each digit about as often as the others', () => {
    const counts = new Array(10).fill(0);
    for (let i = 0; i < 2000; i++) {
      const digits = submit.drawDigits(webcrypto);
      assert.match(digits, /^[0-9]{16}$/);
      for (const d of digits) counts[Number(d)] += 1;
    }
    // 32000 draws: 3200 expected per digit; modulo bias would push 0-5 up by about 2.4 %.
    for (const count of counts) assert.ok(count > 2900 && count < 3500, String(counts));
  });

  it('rejects bytes of 250 and above instead of folding them', () => {
    const script = [[250, 251, 255, 9, 249], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]];
    const random = {
      getRandomValues(a) {
        const next = script.shift() || [];
        a.fill(0);
        a.set(next.slice(0, a.length));
        return a;
      },
    };
    // 250, 251, 255 are dropped; 9 → 9, 249 → 9, then the zero fill.
    assert.equal(submit.drawDigits(random, 4), '9900');
  });

  it('formats and reads receipts as typed', () => {
    assert.equal(submit.formatReceipt('1234567890123456'), '1234 5678 9012 3456');
    assert.equal(status.receiptDigits('1234 5678 9012 3456'), '1234567890123456');
    assert.equal(status.receiptDigits('1234-5678-9012-3456'), '1234567890123456');
    assert.equal(status.receiptDigits('１２３４５６７８９０１２３４５６'), '1234567890123456');
    assert.equal(status.receiptDigits('1234 5678 9012 345'), null);
    assert.equal(status.receiptDigits('1234 5678 9012 345x'), null);
  });

  it('keeps part names and types within what an envelope accepts', () => {
    assert.equal(attachments.partName('', 2), 'attachment-2');
    assert.equal(attachments.partName('photo.jpg', 1), 'photo.jpg');
    const long = attachments.partName('가'.repeat(300) + '.jpeg', 1);
    assert.equal(Array.from(long).length, 255);
    assert.ok(long.endsWith('.jpeg'));
    assert.equal(attachments.partType(''), 'application/octet-stream');
    assert.equal(attachments.partType('image/png'), 'image/png');
  });
});
