// Public keys and identity files in JavaScript (FORMAT.md sections 1 and 3).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SoriEnvelope, plainSodium, sodium, sori, throwsWith } from './helpers.mjs';

const FAST = { opslimit: 1, memlimit: 8192 }; // argon2id at its floor, to keep the tests quick

describe('public keys', () => {
  const identity = sori.generateIdentity();
  const key = sori.publicKeyFromRaw(identity.publicKey);

  it('prints as 57 characters and parses back', () => {
    assert.match(key.text, /^sori-pk1-[A-Za-z0-9_-]{48}$/);
    const parsed = sori.parsePublicKey(key.text);
    assert.deepEqual(parsed.raw, identity.publicKey);
    assert.equal(parsed.fingerprint, key.fingerprint);
    assert.match(key.fingerprint, /^\d{5}( \d{5}){5}$/);
    assert.equal(key.keyIdHex.length, 16);
  });

  it('computes key id and fingerprint from BLAKE2b-256 as FORMAT.md 1.2 says', () => {
    const h = sodium.crypto_generichash(32, identity.publicKey, null);
    assert.deepEqual(key.keyId, h.slice(0, 8));
    const groups = [];
    for (let i = 0; i < 6; i++) {
      const value = BigInt('0x' + Buffer.from(h.slice(5 * i, 5 * i + 5)).toString('hex'));
      groups.push(String(value % 100000n).padStart(5, '0'));
    }
    assert.equal(key.fingerprint, groups.join(' '));
  });

  it('forgives ASCII space, tab, CR and LF at the edges only', () => {
    for (const text of [`  ${key.text}\n`, `\t${key.text}\r\n`]) {
      assert.equal(sori.parsePublicKey(text).text, key.text);
    }
    for (const text of [`\u3000${key.text}`, `${key.text}\u00a0`, `\x1c${key.text}`, `\v${key.text}`]) {
      assert.throws(() => sori.parsePublicKey(text), (e) => e.code === 'bad_key');
    }
  });

  it('refuses a point of small order although its check is right', () => {
    assert.throws(() => sori.publicKeyFromRaw(new Uint8Array(32)), (e) => e.code === 'bad_key');
  });

  it('refuses anything else with bad_key', () => {
    const body = key.text.slice(9);
    const bad = [
      '', 'sori-pk1-', 'sori-pk2-' + body, 'SORI-PK1-' + body, 'sori-pk1' + body, 'sori-pk1-' + body.slice(1),
      key.text + 'A', key.text.slice(0, 30) + ' ' + key.text.slice(30), '\ufeff' + key.text,
      'sori-pk1-' + body.slice(0, 46) + '+/', 'sori-pk1-' + body.slice(0, 47) + '=', key.text + '==',
      null, undefined, 42, identity.publicKey,
    ];
    for (const text of bad) throwsWith(() => sori.parsePublicKey(text), 'bad_key');
  });

  it('catches a single changed character anywhere (the typo check)', () => {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    for (let i = 9; i < key.text.length; i++) {
      const other = alphabet[(alphabet.indexOf(key.text[i]) + 1 + i) % 64];
      const typo = key.text.slice(0, i) + other + key.text.slice(i + 1);
      throwsWith(() => sori.parsePublicKey(typo), 'bad_key');
    }
  });

  it('refuses raw keys that are not 32 bytes', () => {
    throwsWith(() => sori.publicKeyFromRaw(new Uint8Array(31)), 'bad_key');
    throwsWith(() => sori.publicKeyFromRaw('abc'), 'bad_key');
  });
});

describe('identity files', () => {
  const identity = sori.generateIdentity();
  const passphrase = '소리 증언을 지키는 암호';

  it('wrap then unwrap, with the default cost', () => {
    const file = sori.wrapIdentity(identity, passphrase);
    const document = JSON.parse(file);
    assert.deepEqual(Object.keys(document), ['sori_identity', 'public_key', 'kdf', 'nonce', 'ciphertext']);
    assert.deepEqual({ ...document.kdf, salt: undefined }, { alg: 'argon2id13', opslimit: 3, memlimit: 67108864, salt: undefined });
    assert.equal(document.public_key, sori.publicKeyFromRaw(identity.publicKey).text);
    const opened = sori.unwrapIdentity(file, passphrase);
    assert.deepEqual(opened.secretKey, identity.secretKey);
    assert.deepEqual(opened.publicKey, identity.publicKey);
    assert.equal(sori.readIdentityPublicKey(file).text, document.public_key);
    assert.deepEqual(sori.unwrapIdentity(new TextEncoder().encode(file), passphrase).secretKey, identity.secretKey);
  });

  it('a Korean passphrase typed as NFD opens a file wrapped with NFC, and the reverse', () => {
    const nfc = passphrase.normalize('NFC');
    const nfd = passphrase.normalize('NFD');
    assert.notEqual(nfc, nfd);
    assert.deepEqual(sori.unwrapIdentity(sori.wrapIdentity(identity, nfc, FAST), nfd).secretKey, identity.secretKey);
    assert.deepEqual(sori.unwrapIdentity(sori.wrapIdentity(identity, nfd, FAST), nfc).secretKey, identity.secretKey);
  });

  it('a wrong passphrase is wrong_passphrase', () => {
    const file = sori.wrapIdentity(identity, passphrase, FAST);
    for (const wrong of ['', passphrase + ' ', passphrase.slice(0, -1), '소리 증언을 지키는 암호.']) {
      throwsWith(() => sori.unwrapIdentity(file, wrong), 'wrong_passphrase');
    }
  });

  const valid = JSON.parse(sori.wrapIdentity(identity, passphrase, FAST));
  const edit = (change) => {
    const document = structuredClone(valid);
    change(document);
    return JSON.stringify(document);
  };

  it('hostile key-derivation parameters are size_limit, before any work', () => {
    const hostile = [
      (d) => { d.kdf.opslimit = 0; }, (d) => { d.kdf.opslimit = 17; }, (d) => { d.kdf.opslimit = 4294967295; },
      (d) => { d.kdf.memlimit = 8191; }, (d) => { d.kdf.memlimit = 1073741825; },
      (d) => { d.kdf.memlimit = 2 ** 53; }, (d) => { d.kdf.opslimit = -1; },
    ];
    for (const change of hostile) {
      const started = Date.now();
      throwsWith(() => sori.unwrapIdentity(edit(change), passphrase), 'size_limit');
      assert.ok(Date.now() - started < 50);
    }
  });

  it('files that do not parse are bad_identity', () => {
    const other = sori.publicKeyFromRaw(sori.generateIdentity().publicKey).text;
    const broken = [
      'not json', '', '[]', 'null', '"text"', '{}', new Uint8Array([0xff, 0xfe]),
      edit((d) => { d.sori_identity = 2; }), edit((d) => { d.sori_identity = '1'; }),
      edit((d) => { d.sori_identity = true; }), edit((d) => { delete d.sori_identity; }),
      edit((d) => { d.kdf.alg = 'argon2i13'; }), edit((d) => { d.kdf = null; }), edit((d) => { delete d.kdf; }),
      edit((d) => { d.kdf.opslimit = 1.5; }), edit((d) => { d.kdf.opslimit = '1'; }),
      edit((d) => { d.kdf.memlimit = null; }),
      edit((d) => { d.public_key = d.public_key.slice(0, -1); }), edit((d) => { d.public_key = 7; }),
      edit((d) => { d.kdf.salt = d.kdf.salt.slice(1); }), edit((d) => { d.kdf.salt += 'A'; }),
      edit((d) => { d.nonce = d.nonce + '='; }), edit((d) => { d.ciphertext = d.ciphertext.slice(2); }),
      edit((d) => { d.ciphertext = 5; }), edit((d) => { delete d.nonce; }),
      // 22 characters carry 132 bits for 128: a text with the 4 spare bits set is not canonical.
      edit((d) => { d.kdf.salt = d.kdf.salt.slice(0, 21) + 'B'; }),
      // The bounds come after the parse: a broken file with hostile bounds is still bad_identity.
      edit((d) => { d.kdf.opslimit = 99; d.nonce = ''; }),
      edit((d) => { d.public_key = other; d.kdf.alg = 'scrypt'; }),
    ];
    for (const file of broken) throwsWith(() => sori.unwrapIdentity(file, passphrase), 'bad_identity');
  });

  it("another public key in the file fails authentication: wrong_passphrase", () => {
    const other = sori.publicKeyFromRaw(sori.generateIdentity().publicKey).text;
    throwsWith(() => sori.unwrapIdentity(edit((d) => { d.public_key = other; }), passphrase), 'wrong_passphrase');
  });

  it('a secret key that does not match its public key is bad_identity', () => {
    // Wrapped correctly (the AEAD opens) but around someone else's secret key.
    const stranger = sori.generateIdentity();
    const salt = sodium.randombytes_buf(16);
    const nonce = sodium.randombytes_buf(24);
    const wrapKey = sodium.crypto_pwhash(32, new TextEncoder().encode(passphrase), salt, 1, 8192,
      sodium.crypto_pwhash_ALG_ARGON2ID13);
    const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(stranger.secretKey, identity.publicKey, null, nonce, wrapKey);
    const file = edit((d) => {
      d.kdf.salt = SoriEnvelope.toBase64url(salt);
      d.nonce = SoriEnvelope.toBase64url(nonce);
      d.ciphertext = SoriEnvelope.toBase64url(ciphertext);
    });
    throwsWith(() => sori.unwrapIdentity(file, passphrase), 'bad_identity');
  });

  it('wrapping refuses a mismatched identity and out-of-bounds costs', () => {
    const mismatched = { secretKey: identity.secretKey, publicKey: sori.generateIdentity().publicKey };
    throwsWith(() => sori.wrapIdentity(mismatched, passphrase, FAST), 'bad_identity');
    throwsWith(() => sori.wrapIdentity(identity, passphrase, { opslimit: 17 }), 'size_limit');
    throwsWith(() => sori.wrapIdentity(identity, passphrase, { memlimit: 4096 }), 'size_limit');
    assert.throws(() => sori.wrapIdentity(identity, passphrase, { opslimit: 2.5 }), TypeError);
    assert.throws(() => sori.wrapIdentity(identity, 12345, FAST), TypeError);
  });

  it('without libsodium sumo, identity files fail with a clear error', async () => {
    const small = SoriEnvelope.create(await plainSodium());
    const file = sori.wrapIdentity(identity, passphrase, FAST);
    assert.throws(() => small.unwrapIdentity(file, passphrase), /libsodium-wrappers-sumo/);
    assert.throws(() => small.wrapIdentity(identity, passphrase), /libsodium-wrappers-sumo/);
    assert.equal(small.readIdentityPublicKey(file).text, valid.public_key);
  });

  it('identityFromSecretKey derives the public key', () => {
    assert.deepEqual(sori.identityFromSecretKey(identity.secretKey).publicKey, identity.publicKey);
    throwsWith(() => sori.identityFromSecretKey(new Uint8Array(31)), 'bad_identity');
  });
});

describe('errors', () => {
  it('carry exactly the codes of FORMAT.md section 4', () => {
    assert.deepEqual([...SoriEnvelope.CODES].sort(), [
      'bad_identity', 'bad_key', 'bad_receipt', 'malformed', 'no_matching_key', 'not_an_envelope', 'size_limit',
      'tampered',
      'trailing_data', 'truncated', 'unsupported_version', 'wrong_passphrase',
    ]);
    const error = new SoriEnvelope.SoriCryptoError('tampered', 'x');
    assert.ok(error instanceof Error);
    assert.equal(error.name, 'SoriCryptoError');
    assert.throws(() => new SoriEnvelope.SoriCryptoError('oops', 'x'));
  });
});
