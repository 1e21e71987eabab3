// Shared set-up for the JavaScript tests of crypto/js/sori-envelope.js: libsodium, the library, small tools.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SoriEnvelope = require(path.join(ROOT, 'crypto/js/sori-envelope.js'));
// The libsodium.js that pages load, as scripts/setup.sh builds it: these tests check the very bytes browsers
// run. It defines globalThis.sodium.
export const SODIUM_BUILD = path.join(ROOT, 'node_modules/.sori/libsodium.js');
require(SODIUM_BUILD);
export const sodium = globalThis.sodium;
await sodium.ready;
export const sori = SoriEnvelope.create(sodium);
export const { SoriCryptoError } = SoriEnvelope;

/** The sumo-less build, which has no argon2id: envelopes must still work with it. */
export async function plainSodium() {
  const plain = require('libsodium-wrappers');
  await plain.ready;
  return plain;
}

/** Encrypts `parts` ({name, type, data}) to `recipients` and returns the whole envelope. */
export async function encrypt(recipients, parts) {
  const pieces = [];
  const result = await sori.encryptParts(recipients, parts, async (bytes) => { pieces.push(bytes); });
  const envelope = concat(pieces);
  assert.equal(envelope.length, result.length);
  return { envelope, fileKey: result.fileKey };
}

export function concat(arrays) {
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}

/** Deterministic, non-repeating-per-chunk test bytes. */
export function pattern(size, seed = 0) {
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[i] = (i * 31 + seed + (i >> 16)) % 251;
  return out;
}

/** Awaits `action` and asserts it fails with a SoriCryptoError of exactly `code`. */
export async function rejectsWith(action, code) {
  await assert.rejects(action, (error) => {
    assert.ok(error instanceof SoriCryptoError, `expected SoriCryptoError ${code}, got ${error && error.stack}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** Same for a synchronous call. */
export function throwsWith(action, code) {
  assert.throws(action, (error) => {
    assert.ok(error instanceof SoriCryptoError, `expected SoriCryptoError ${code}, got ${error && error.stack}`);
    assert.equal(error.code, code, error.message);
    return true;
  });
}

/** Splits an envelope into its header and framed chunks (4-byte length included). */
export function splitEnvelope(envelope) {
  const n = envelope[9];
  const headerLength = 34 + 88 * n;
  const header = envelope.slice(0, headerLength);
  const chunks = [];
  let offset = headerLength;
  while (offset < envelope.length) {
    const length = new DataView(envelope.buffer, envelope.byteOffset + offset, 4).getUint32(0);
    chunks.push(envelope.slice(offset, offset + 4 + length));
    offset += 4 + length;
  }
  return { header, chunks };
}

/**
 * Builds an envelope chunk by chunk with raw libsodium, to make the broken ones the writer refuses to write.
 * `chunks` is a list of {plaintext: Uint8Array|string, tag}; a stanza is sealed to each identity given.
 */
export function craft(identities, chunks, { version = 1 } = {}) {
  const fileKey = sodium.randombytes_buf(32);
  const stanzas = identities.map((identity) => concat([
    sori.publicKeyFromRaw(identity.publicKey).keyId,
    sodium.crypto_box_seal(fileKey, identity.publicKey),
  ]));
  const { state, header: streamHeader } = sodium.crypto_secretstream_xchacha20poly1305_init_push(fileKey);
  const header = concat([new TextEncoder().encode('SORI-ENV'), new Uint8Array([version, identities.length]),
    ...stanzas, streamHeader]);
  const out = [header];
  chunks.forEach(({ plaintext, tag }, i) => {
    const bytes = typeof plaintext === 'string' ? new TextEncoder().encode(plaintext) : plaintext;
    const ciphertext = sodium.crypto_secretstream_xchacha20poly1305_push(state, bytes, i === 0 ? header : null, tag);
    out.push(frame(ciphertext));
  });
  return { envelope: concat(out), fileKey };
}

export function frame(ciphertext) {
  const out = new Uint8Array(4 + ciphertext.length);
  new DataView(out.buffer).setUint32(0, ciphertext.length);
  out.set(ciphertext, 4);
  return out;
}

export const TAG = { MESSAGE: 0, PUSH: 1, REKEY: 2, FINAL: 3 };

export function meta(name, type = 'application/octet-stream') {
  return { plaintext: JSON.stringify({ name, type }), tag: TAG.MESSAGE };
}
