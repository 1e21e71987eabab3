// The shared known-answer vectors (crypto/testdata/vectors.json, FORMAT.md section 5) in JavaScript.
// A missing vectors.json fails this file: the vectors are the contract between the two implementations.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, rejectsWith, sori, throwsWith } from './helpers.mjs';

const DIR = path.join(ROOT, 'crypto', 'testdata');
const vectors = JSON.parse(readFileSync(path.join(DIR, 'vectors.json'), 'utf8'));
const read = (file) => new Uint8Array(readFileSync(path.join(DIR, file)));
const fromHex = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (bytes) => Buffer.from(bytes).toString('hex');

function keyOptions(vector) {
  if (vector.file_key !== undefined) return { fileKey: fromHex(vector.file_key) };
  return { identity: sori.identityFromSecretKey(fromHex(vectors.identities[vector.identity])) };
}

/** The envelope whole, then in 7-byte and 4096-byte pieces, so every read crosses a boundary somewhere. */
function sources(bytes) {
  const pieces = (size) => {
    const out = [];
    for (let i = 0; i < bytes.length; i += size) out.push(bytes.slice(i, i + size));
    return out;
  };
  return [['whole', bytes], ['7-byte pieces', pieces(7)], ['4096-byte pieces', pieces(4096)], ['Blob', new Blob([bytes])]];
}

describe('envelope vectors', () => {
  it('there are good and bad ones', () => {
    assert.ok(vectors.envelopes.some((v) => v.file.startsWith('good_')));
    assert.ok(vectors.envelopes.some((v) => v.file.startsWith('fail_')));
  });
  for (const vector of vectors.envelopes) {
    it(`${vector.file}: ${typeof vector.expect === 'string' ? vector.expect : 'opens'}`, async () => {
      const bytes = read(vector.file);
      for (const [how, source] of sources(bytes)) {
        if (typeof vector.expect === 'string') {
          await rejectsWith(sori.decryptParts(source, keyOptions(vector)), vector.expect);
          continue;
        }
        const parts = await sori.decryptParts(source, keyOptions(vector));
        assert.deepEqual(
          parts.map((p) => ({ name: p.name, type: p.type, size: p.data.length, sha256: createHash('sha256').update(p.data).digest('hex') })),
          vector.expect, how,
        );
      }
    });
  }
});

describe('public key vectors', () => {
  for (const vector of vectors.public_keys) {
    it(`${JSON.stringify(vector.text)}: ${typeof vector.expect === 'string' ? vector.expect : 'parses'}`, () => {
      if (typeof vector.expect === 'string') {
        throwsWith(() => sori.parsePublicKey(vector.text), vector.expect);
        return;
      }
      const key = sori.parsePublicKey(vector.text);
      assert.equal(toHex(key.raw), vector.expect.raw);
      assert.equal(toHex(key.keyId), vector.expect.key_id);
      assert.equal(key.fingerprint, vector.expect.fingerprint);
      assert.equal(key.text, vector.text.trim());
    });
  }
});

describe('identity file vectors', () => {
  for (const vector of vectors.identity_files) {
    it(`${vector.file}: ${typeof vector.expect === 'string' ? vector.expect : 'opens'}`, () => {
      const text = readFileSync(path.join(DIR, vector.file), 'utf8');
      if (typeof vector.expect === 'string') {
        throwsWith(() => sori.unwrapIdentity(text, vector.passphrase), vector.expect);
        return;
      }
      const identity = sori.unwrapIdentity(text, vector.passphrase);
      assert.equal(sori.publicKeyFromRaw(identity.publicKey).text, vector.expect.public_key);
    });
  }
});

describe('receipt vectors', () => {
  for (const vector of vectors.receipts) {
    it(`${JSON.stringify(vector.digits)}: ${typeof vector.expect === 'string' ? vector.expect : 'derives'}`, () => {
      const salt = Uint8Array.from(Buffer.from(vector.salt, 'hex'));
      if (typeof vector.expect === 'string') {
        throwsWith(() => sori.deriveReceipt(vector.digits, salt), vector.expect);
        return;
      }
      const keys = sori.deriveReceipt(vector.digits, salt);
      assert.equal(toHex(keys.secret), vector.expect.secret);
      assert.equal(toHex(keys.lookupKey), vector.expect.lookup_key);
      assert.equal(toHex(keys.identity.secretKey), vector.expect.source_secret_key);
      assert.equal(sori.publicKeyFromRaw(keys.identity.publicKey).text, vector.expect.source_public_key);
      assert.equal(createHash('sha256').update(keys.secret).digest('hex'), vector.expect.legacy_hash);
    });
  }
});
