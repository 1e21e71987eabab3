/*
 * sori-envelope.js: the browser's half of Sori's cryptography. It writes and reads Sori envelopes,
 * printable public keys and passphrase-wrapped identity files exactly as crypto/FORMAT.md defines them,
 * so that what a source's browser encrypts, the Python side (crypto/*.py) and a reviewer's browser can open.
 *
 * One plain script, no imports, no build step: the whole format in one file (about 1,000 lines), because
 * a source on Tor pays a round trip for every script, and the format reads best in one piece beside
 * crypto/FORMAT.md. It works as a classic <script> (it defines globalThis.SoriEnvelope), in a Web Worker
 * through importScripts(), and in Node through require().
 * The caller brings a ready libsodium.js instance:
 *
 *     await sodium.ready;
 *     const sori = SoriEnvelope.create(sodium);
 *
 * `libsodium-wrappers` is enough for envelopes and public keys; identity files need argon2id, which only
 * `libsodium-wrappers-sumo` has.
 *
 * Every failure a caller can meet is a SoriCryptoError whose `code` is one of FORMAT.md section 4.
 * Misuse of the API itself (a wrong argument, calls out of order) throws TypeError, RangeError or Error.
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else {
    root.SoriEnvelope = api;
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // ---- Constants of FORMAT.md ------------------------------------------------------------------

  const MAGIC = new Uint8Array([0x53, 0x4f, 0x52, 0x49, 0x2d, 0x45, 0x4e, 0x56]); // "SORI-ENV"
  const VERSION = 0x01;
  const CHUNK = 65536;
  const ABYTES = 17;
  const META_MAX = 4096;
  const MAX_CIPHERTEXT = CHUNK + ABYTES;
  const TAG_MESSAGE = 0;
  const TAG_PUSH = 1;
  const TAG_REKEY = 2;
  const TAG_FINAL = 3;
  const KEY_BYTES = 32;
  const KEY_ID_BYTES = 8;
  // Receipts (FORMAT.md section 6): argon2id cost and the labels that keep the two keys apart.
  const RECEIPT_DIGITS = 16;
  const RECEIPT_SALT_BYTES = 16;
  const RECEIPT_OPSLIMIT = 3;
  const RECEIPT_MEMLIMIT = 32 * 1024 * 1024;
  const LOOKUP_LABEL = 'sori-receipt-lookup-v1';
  const SOURCE_LABEL = 'sori-source-key-v1';
  const STANZA_BYTES = KEY_ID_BYTES + 80; // key id || crypto_box_seal(32-byte file key)
  const STREAM_HEADER_BYTES = 24;
  const MAX_RECIPIENTS = 255;
  const MAX_NAME_CHARS = 255;
  const PUBLIC_KEY_PREFIX = 'sori-pk1-';
  const SALT_BYTES = 16;
  const NONCE_BYTES = 24;
  const WRAPPED_BYTES = KEY_BYTES + 16;
  const DEFAULT_OPSLIMIT = 3;
  const DEFAULT_MEMLIMIT = 64 * 1024 * 1024;
  const OPSLIMIT_RANGE = [1, 16];
  const MEMLIMIT_RANGE = [8192, 1024 * 1024 * 1024];
  // How much of a Blob is read at once: large enough to amortise the promise, small enough for a phone.
  const BLOB_READ_BYTES = 1024 * 1024;

  const CODES = Object.freeze([
    'not_an_envelope', 'unsupported_version', 'malformed', 'size_limit', 'truncated', 'trailing_data',
    'tampered', 'no_matching_key', 'bad_key', 'bad_identity', 'wrong_passphrase', 'bad_receipt',
  ]);

  // ---- Errors ---------------------------------------------------------------------------------

  /**
   * The one error of this library. `code` is one of FORMAT.md section 4 (see `CODES`); the message is for
   * people and may change. An `unsupported_version` error also carries the `version` it met.
   */
  class SoriCryptoError extends Error {
    /**
     * @param {string} code one of CODES
     * @param {string} message
     * @param {{cause?: unknown, version?: number}} [extra]
     */
    constructor(code, message, extra) {
      super(message);
      if (!CODES.includes(code)) throw new Error('unknown SoriCryptoError code: ' + code);
      this.name = 'SoriCryptoError';
      this.code = code;
      if (extra && extra.cause !== undefined) this.cause = extra.cause;
      if (extra && extra.version !== undefined) this.version = extra.version;
    }
  }

  function fail(code, message, extra) {
    throw new SoriCryptoError(code, message, extra);
  }

  // ---- Small byte helpers ---------------------------------------------------------------------

  const utf8Encoder = new TextEncoder();
  // fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: keep a BOM so that JSON.parse rejects it,
  // as Python's json does.
  const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

  function isBytes(value) {
    return value instanceof Uint8Array;
  }

  function equalBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  function concatBytes(arrays) {
    let total = 0;
    for (const a of arrays) total += a.length;
    const out = new Uint8Array(total);
    let offset = 0;
    for (const a of arrays) {
      out.set(a, offset);
      offset += a.length;
    }
    return out;
  }

  function toHex(bytes) {
    let s = '';
    for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
    return s;
  }

  const B64_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

  /** base64url without padding (RFC 4648 section 5). */
  function toBase64url(bytes) {
    let out = '';
    let bits = 0;
    let value = 0;
    for (const b of bytes) {
      value = (value << 8) | b;
      bits += 8;
      while (bits >= 6) {
        bits -= 6;
        out += B64_ALPHABET[(value >> bits) & 63];
      }
      value &= (1 << bits) - 1;
    }
    if (bits > 0) out += B64_ALPHABET[(value << (6 - bits)) & 63];
    return out;
  }

  /**
   * Strict base64url without padding, decoding to exactly `length` bytes, or null. Non-canonical
   * trailing bits are refused too, so that one key has exactly one text (as crypto/keys.py does).
   */
  function fromBase64url(text, length) {
    if (typeof text !== 'string' || text.length !== Math.floor((length * 4 + 2) / 3)) return null;
    const out = new Uint8Array(length);
    let bits = 0;
    let value = 0;
    let n = 0;
    for (let i = 0; i < text.length; i++) {
      const v = B64_ALPHABET.indexOf(text[i]);
      if (v < 0) return null;
      value = (value << 6) | v;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out[n++] = (value >> bits) & 255;
      }
      value &= (1 << bits) - 1;
    }
    if (n !== length || value !== 0) return null;
    return out;
  }

  // FORMAT.md 1.3 forgives exactly ASCII space, tab, CR and LF at either end of a public key.
  const SPACE = '[ \\t\\r\\n]+';
  const EDGE_SPACE = new RegExp('^' + SPACE + '|' + SPACE + '$', 'g');

  /** Any scalar serves to probe a public key for small order; this one is fixed so the check is cheap. */
  const LOW_ORDER_PROBE = new Uint8Array(32).fill(1);

  /** Length in Unicode code points, as Python's len() counts a str (not UTF-16 units). */
  function codePointLength(s) {
    let n = 0;
    for (const _ of s) n++; // eslint-disable-line no-unused-vars
    return n;
  }

  function isValidLabel(value) {
    return typeof value === 'string' && value.length > 0 && codePointLength(value) <= MAX_NAME_CHARS;
  }

  // ---- Byte sources for the reader ------------------------------------------------------------

  async function* blobChunks(blob) {
    for (let offset = 0; offset < blob.size; offset += BLOB_READ_BYTES) {
      const end = Math.min(blob.size, offset + BLOB_READ_BYTES);
      yield new Uint8Array(await blob.slice(offset, end).arrayBuffer());
    }
  }

  async function* streamChunks(stream) {
    const reader = stream.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } finally {
      reader.releaseLock();
    }
  }

  function isBlob(value) {
    return value !== null && typeof value === 'object' && typeof value.slice === 'function' &&
      typeof value.arrayBuffer === 'function' && typeof value.size === 'number';
  }

  /** Turns whatever the caller has into an async iterator of Uint8Array. */
  function chunksOf(source) {
    if (source instanceof ArrayBuffer) source = new Uint8Array(source);
    if (isBytes(source)) return (async function* () { yield source; })();
    if (isBlob(source)) return blobChunks(source);
    if (source && typeof source.getReader === 'function') return streamChunks(source);
    if (source && typeof source[Symbol.asyncIterator] === 'function') return source[Symbol.asyncIterator]();
    if (source && typeof source[Symbol.iterator] === 'function') {
      return (async function* () { yield* source; })();
    }
    throw new TypeError('an envelope source is a Uint8Array, Blob, ReadableStream or (async) iterable');
  }

  /** Reads exact byte counts from a chunked source; a short result means the source has ended. */
  class ByteSource {
    constructor(source) {
      this._chunks = chunksOf(source);
      this._buf = new Uint8Array(0);
      this._pos = 0;
      this._ended = false;
    }

    async _refill() {
      while (!this._ended) {
        const { done, value } = await this._chunks.next();
        if (done) {
          this._ended = true;
          return false;
        }
        const bytes = value instanceof ArrayBuffer ? new Uint8Array(value) : value;
        if (!isBytes(bytes)) throw new TypeError('an envelope source must yield Uint8Array chunks');
        if (bytes.length > 0) {
          this._buf = bytes;
          this._pos = 0;
          return true;
        }
      }
      return false;
    }

    /** Up to `n` bytes; fewer only when the source ends. */
    async read(n) {
      if (this._buf.length - this._pos >= n) {
        // The common case: no copy, a view of the chunk in hand.
        const view = this._buf.subarray(this._pos, this._pos + n);
        this._pos += n;
        return view;
      }
      const out = new Uint8Array(n);
      let filled = 0;
      while (filled < n) {
        if (this._pos === this._buf.length && !(await this._refill())) break;
        const take = Math.min(n - filled, this._buf.length - this._pos);
        out.set(this._buf.subarray(this._pos, this._pos + take), filled);
        this._pos += take;
        filled += take;
      }
      return filled === n ? out : out.subarray(0, filled);
    }

    /** Lets the underlying stream go when reading stops early. */
    async release() {
      if (typeof this._chunks.return === 'function') {
        try {
          await this._chunks.return();
        } catch (_) {
          // The source's own clean-up failing must not hide the error that stopped reading.
        }
      }
    }
  }

  /**
   * The checks 1 to 4 of FORMAT.md 2.4, in order, on the first bytes of a source.
   * Returns {version, header, keyIds: Uint8Array[], sealedKeys: Uint8Array[], streamHeader}.
   */
  async function readHeaderFrom(src) {
    const magic = await src.read(MAGIC.length);
    if (magic.length < MAGIC.length || !equalBytes(magic, MAGIC)) {
      fail('not_an_envelope', 'this is not a Sori envelope');
    }
    const versionAndCount = await src.read(2);
    if (versionAndCount.length < 2) fail('truncated', 'the envelope ends inside its header');
    const version = versionAndCount[0];
    const n = versionAndCount[1];
    // The version is checked before the rest of the header is read, because only version 1's layout is
    // known here; crypto/envelope.py does the same.
    if (version !== VERSION) {
      fail('unsupported_version', 'unsupported envelope version ' + version, { version });
    }
    if (n === 0) fail('malformed', 'the envelope has no recipient');
    const rest = await src.read(STANZA_BYTES * n + STREAM_HEADER_BYTES);
    if (rest.length < STANZA_BYTES * n + STREAM_HEADER_BYTES) {
      fail('truncated', 'the envelope ends inside its header');
    }
    const header = concatBytes([magic, versionAndCount, rest]);
    const keyIds = [];
    const sealedKeys = [];
    for (let i = 0; i < n; i++) {
      const stanza = rest.subarray(i * STANZA_BYTES, (i + 1) * STANZA_BYTES);
      keyIds.push(stanza.slice(0, KEY_ID_BYTES));
      sealedKeys.push(stanza.slice(KEY_ID_BYTES));
    }
    return { version, header, keyIds, sealedKeys, streamHeader: rest.slice(STANZA_BYTES * n) };
  }

  // ---- The library bound to one libsodium instance --------------------------------------------

  /**
   * Binds the library to a ready libsodium.js instance (`await sodium.ready` first).
   * @param {object} sodium libsodium-wrappers or libsodium-wrappers-sumo
   */
  function create(sodium) {
    const needed = [
      'crypto_generichash', 'crypto_box_seal', 'crypto_box_seal_open', 'crypto_scalarmult_base', 'crypto_scalarmult',
      'crypto_secretstream_xchacha20poly1305_init_push', 'crypto_secretstream_xchacha20poly1305_push',
      'crypto_secretstream_xchacha20poly1305_init_pull', 'crypto_secretstream_xchacha20poly1305_pull',
      'crypto_aead_xchacha20poly1305_ietf_encrypt', 'crypto_aead_xchacha20poly1305_ietf_decrypt',
      'randombytes_buf',
    ];
    for (const name of needed) {
      if (!sodium || typeof sodium[name] !== 'function') {
        throw new Error('SoriEnvelope.create needs a ready libsodium.js instance (missing ' + name + ')');
      }
    }

    // -- Public keys (FORMAT.md 1.2, 1.3) --

    /**
     * A public key from its 32 raw bytes.
     * @param {Uint8Array} raw
     * @returns {{raw: Uint8Array, keyId: Uint8Array, keyIdHex: string, fingerprint: string, text: string}}
     */
    function publicKeyFromRaw(raw) {
      if (!isBytes(raw) || raw.length !== KEY_BYTES) fail('bad_key', 'a public key is 32 bytes');
      raw = raw.slice();
      try {
        // libsodium refuses a point of small order (the result would be all zeros): so does FORMAT.md 1.3.
        sodium.crypto_scalarmult(LOW_ORDER_PROBE, raw);
      } catch (_) {
        fail('bad_key', 'this is not a usable public key (a point of small order)');
      }
      const h = sodium.crypto_generichash(32, raw, null);
      const groups = [];
      for (let i = 0; i < 6; i++) {
        let value = 0; // 40 bits fit exactly in a double
        for (let j = 0; j < 5; j++) value = value * 256 + h[5 * i + j];
        groups.push(String(value % 100000).padStart(5, '0'));
      }
      const keyId = h.slice(0, KEY_ID_BYTES);
      return {
        raw,
        keyId,
        keyIdHex: toHex(keyId),
        fingerprint: groups.join(' '),
        text: PUBLIC_KEY_PREFIX + toBase64url(concatBytes([raw, keyId.subarray(0, 4)])),
      };
    }

    /**
     * Reads a printable public key `sori-pk1-…`; throws SoriCryptoError `bad_key` on any deviation.
     * @param {string} text
     */
    function parsePublicKey(text) {
      if (typeof text !== 'string') fail('bad_key', 'a public key is text');
      text = text.replace(EDGE_SPACE, '');
      if (!text.startsWith(PUBLIC_KEY_PREFIX)) fail('bad_key', 'a public key starts with sori-pk1-');
      const decoded = fromBase64url(text.slice(PUBLIC_KEY_PREFIX.length), KEY_BYTES + 4);
      if (decoded === null) fail('bad_key', 'the public key is damaged or incomplete');
      const key = publicKeyFromRaw(decoded.subarray(0, KEY_BYTES));
      if (!equalBytes(key.keyId.subarray(0, 4), decoded.subarray(KEY_BYTES))) {
        fail('bad_key', 'the public key fails its check: a character was changed');
      }
      return key;
    }

    function toPublicKey(recipient) {
      if (typeof recipient === 'string') return parsePublicKey(recipient);
      if (isBytes(recipient)) return publicKeyFromRaw(recipient);
      if (recipient && isBytes(recipient.raw)) return publicKeyFromRaw(recipient.raw);
      fail('bad_key', 'a recipient is a public key text, its raw bytes or a parsed public key');
    }

    function keyIdOf(publicKeyRaw) {
      return sodium.crypto_generichash(32, publicKeyRaw, null).subarray(0, KEY_ID_BYTES);
    }

    // -- Identities (FORMAT.md 1.1, 3) --

    /**
     * A new identity from libsodium's CSPRNG.
     * @returns {{secretKey: Uint8Array, publicKey: Uint8Array}}
     */
    function generateIdentity() {
      return identityFromSecretKey(sodium.randombytes_buf(KEY_BYTES));
    }

    /**
     * The identity whose secret key is `secretKey` (32 bytes).
     * @returns {{secretKey: Uint8Array, publicKey: Uint8Array}}
     */
    function identityFromSecretKey(secretKey) {
      if (!isBytes(secretKey) || secretKey.length !== KEY_BYTES) {
        fail('bad_identity', 'a secret key is 32 bytes');
      }
      return { secretKey: secretKey.slice(), publicKey: sodium.crypto_scalarmult_base(secretKey) };
    }

    function checkIdentity(identity) {
      if (!identity || !isBytes(identity.secretKey) || identity.secretKey.length !== KEY_BYTES ||
          !isBytes(identity.publicKey) || identity.publicKey.length !== KEY_BYTES) {
        throw new TypeError('an identity is {secretKey, publicKey}, two Uint8Arrays of 32 bytes');
      }
    }

    function checkKdfBounds(opslimit, memlimit) {
      if (!(opslimit >= OPSLIMIT_RANGE[0] && opslimit <= OPSLIMIT_RANGE[1])) {
        fail('size_limit', 'argon2id opslimit ' + opslimit + ' is outside ' + OPSLIMIT_RANGE.join('..'));
      }
      if (!(memlimit >= MEMLIMIT_RANGE[0] && memlimit <= MEMLIMIT_RANGE[1])) {
        fail('size_limit', 'argon2id memlimit ' + memlimit + ' is outside ' + MEMLIMIT_RANGE.join('..'));
      }
    }

    function requirePwhash() {
      if (typeof sodium.crypto_pwhash !== 'function') {
        throw new Error('identity files need argon2id: load libsodium-wrappers-sumo, not libsodium-wrappers');
      }
    }

    function deriveWrapKey(passphrase, salt, opslimit, memlimit) {
      if (typeof passphrase !== 'string') throw new TypeError('the passphrase is text');
      // NFC, so a Korean passphrase typed on macOS (often NFD) and on Windows gives the same bytes.
      const secret = utf8Encoder.encode(passphrase.normalize('NFC'));
      try {
        return sodium.crypto_pwhash(KEY_BYTES, secret, salt, opslimit, memlimit,
          sodium.crypto_pwhash_ALG_ARGON2ID13);
      } catch (e) {
        // Within the bounds this only fails when memory runs out (a 1 GiB memlimit in a browser tab).
        fail('size_limit', 'argon2id could not run with these parameters', { cause: e });
      }
    }

    /**
     * Wraps an identity's secret key under a passphrase: the identity file of FORMAT.md section 3.
     * Needs libsodium-wrappers-sumo.
     * @param {{secretKey: Uint8Array, publicKey: Uint8Array}} identity
     * @param {string} passphrase
     * @param {{opslimit?: number, memlimit?: number}} [options]
     * @returns {string} the identity file's JSON text
     */
    function wrapIdentity(identity, passphrase, options) {
      requirePwhash();
      checkIdentity(identity);
      const opslimit = options && options.opslimit !== undefined ? options.opslimit : DEFAULT_OPSLIMIT;
      const memlimit = options && options.memlimit !== undefined ? options.memlimit : DEFAULT_MEMLIMIT;
      if (!Number.isInteger(opslimit) || !Number.isInteger(memlimit)) {
        throw new TypeError('opslimit and memlimit are whole numbers');
      }
      checkKdfBounds(opslimit, memlimit);
      const publicKey = publicKeyFromRaw(sodium.crypto_scalarmult_base(identity.secretKey));
      if (!equalBytes(publicKey.raw, identity.publicKey)) {
        fail('bad_identity', "the identity's secret key does not match its public key");
      }
      const salt = sodium.randombytes_buf(SALT_BYTES);
      const nonce = sodium.randombytes_buf(NONCE_BYTES);
      const wrapKey = deriveWrapKey(passphrase, salt, opslimit, memlimit);
      const ciphertext = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(
        identity.secretKey, publicKey.raw, null, nonce, wrapKey);
      const document = {
        sori_identity: 1,
        public_key: publicKey.text,
        kdf: { alg: 'argon2id13', opslimit, memlimit, salt: toBase64url(salt) },
        nonce: toBase64url(nonce),
        ciphertext: toBase64url(ciphertext),
      };
      return JSON.stringify(document, null, 2) + '\n';
    }

    function isObject(value) {
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    }

    /** The structural checks of FORMAT.md section 3, in the order crypto/keys.py makes them. */
    function parseIdentityFile(identityFile) {
      let document;
      try {
        const text = isBytes(identityFile) ? utf8Decoder.decode(identityFile) : identityFile;
        if (typeof text !== 'string') throw new TypeError('not text');
        document = JSON.parse(text);
      } catch (e) {
        fail('bad_identity', 'this is not a Sori identity file', { cause: e });
      }
      if (!isObject(document) || document.sori_identity !== 1) {
        fail('bad_identity', 'this is not a Sori identity file of version 1');
      }
      const kdf = document.kdf;
      if (!isObject(kdf) || kdf.alg !== 'argon2id13') {
        fail('bad_identity', 'the identity file names an unknown key derivation');
      }
      if (!Number.isInteger(kdf.opslimit) || !Number.isInteger(kdf.memlimit)) {
        fail('bad_identity', "the identity file's key-derivation parameters are not whole numbers");
      }
      let publicKey;
      try {
        publicKey = parsePublicKey(document.public_key);
      } catch (e) {
        fail('bad_identity', "the identity file's public key is invalid: " + e.message, { cause: e });
      }
      const salt = fromBase64url(kdf.salt, SALT_BYTES);
      const nonce = fromBase64url(document.nonce, NONCE_BYTES);
      const ciphertext = fromBase64url(document.ciphertext, WRAPPED_BYTES);
      if (salt === null || nonce === null || ciphertext === null) {
        fail('bad_identity', 'the identity file is damaged');
      }
      // Bounds last: a file that parses but asks for too much work.
      checkKdfBounds(kdf.opslimit, kdf.memlimit);
      return { publicKey, salt, opslimit: kdf.opslimit, memlimit: kdf.memlimit, nonce, ciphertext };
    }

    /**
     * Opens an identity file with its passphrase. Needs libsodium-wrappers-sumo.
     * Throws SoriCryptoError `bad_identity`, `size_limit` (hostile argon2id parameters) or
     * `wrong_passphrase`.
     * @param {string|Uint8Array} identityFile
     * @param {string} passphrase
     * @returns {{secretKey: Uint8Array, publicKey: Uint8Array}}
     */
    function unwrapIdentity(identityFile, passphrase) {
      requirePwhash();
      const f = parseIdentityFile(identityFile);
      const wrapKey = deriveWrapKey(passphrase, f.salt, f.opslimit, f.memlimit);
      let secretKey;
      try {
        secretKey = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(
          null, f.ciphertext, f.publicKey.raw, f.nonce, wrapKey);
      } catch (e) {
        fail('wrong_passphrase', 'the passphrase does not open this identity', { cause: e });
      }
      const identity = identityFromSecretKey(secretKey);
      if (!equalBytes(identity.publicKey, f.publicKey.raw)) {
        fail('bad_identity', "the identity's secret key does not match its public key");
      }
      return identity;
    }

    /**
     * The public key an identity file declares, without its passphrase.
     * @param {string|Uint8Array} identityFile
     */
    function readIdentityPublicKey(identityFile) {
      return parseIdentityFile(identityFile).publicKey;
    }

    // -- Writing (FORMAT.md 2.3) --

    /**
     * Writes one envelope to `sink`, part by part, holding at most one 64 KiB piece in memory.
     * Await every call before the next one: beginPart(), write()..., beginPart(), write()..., close().
     * `fileKey` is this envelope's key (to re-seal it to someone else later; keep it secret).
     */
    class EnvelopeWriter {
      /**
       * @param {Array<string|Uint8Array|{raw: Uint8Array}>} recipients public keys, 1 to 255 distinct
       * @param {(bytes: Uint8Array) => Promise<void>} sink receives the envelope's bytes in order
       */
      constructor(recipients, sink) {
        if (!Array.isArray(recipients)) throw new TypeError('recipients is an array of public keys');
        if (typeof sink !== 'function') throw new TypeError('sink is an async function of Uint8Array');
        const keys = [];
        const seen = new Set();
        for (const r of recipients) {
          const key = toPublicKey(r);
          const id = toHex(key.raw);
          if (!seen.has(id)) { // a key given twice is written once
            seen.add(id);
            keys.push(key);
          }
        }
        if (keys.length === 0) throw new RangeError('an envelope needs at least one recipient');
        if (keys.length > MAX_RECIPIENTS) throw new RangeError('an envelope has at most 255 recipients');

        this.fileKey = sodium.randombytes_buf(KEY_BYTES);
        const stanzas = keys.map((key) => {
          let sealed;
          try {
            sealed = sodium.crypto_box_seal(this.fileKey, key.raw);
          } catch (e) {
            // libsodium refuses keys of low order; they parse but no one can hold their secret.
            fail('bad_key', 'this public key cannot receive envelopes', { cause: e });
          }
          return concatBytes([key.keyId, sealed]);
        });
        const { state, header: streamHeader } =
          sodium.crypto_secretstream_xchacha20poly1305_init_push(this.fileKey);
        const versionAndCount = new Uint8Array([VERSION, keys.length]);
        /** The whole header (FORMAT.md 2.2); also the additional data of the first chunk. */
        this.header = concatBytes([MAGIC, versionAndCount, ...stanzas, streamHeader]);
        this.recipients = keys;
        this._state = state;
        this._sink = sink;
        this._piece = new Uint8Array(CHUNK); // the one piece held back until we know whether it is the last
        this._fill = 0;
        this._headerSent = false;
        this._firstChunk = true;
        this._inPart = false;
        this._closed = false;
        this._busy = false;
        this._broken = false;
        this.bytesWritten = 0;
      }

      /** Starts the next part; the previous one, if any, ends here. */
      async beginPart(name, type) {
        // Argument errors, as in crypto/envelope.py: the caller picks names (shorten long file names first).
        if (!isValidLabel(name)) throw new RangeError("a part's name is text of 1 to 255 characters");
        if (!isValidLabel(type)) throw new RangeError("a part's type is text of 1 to 255 characters");
        const metadata = utf8Encoder.encode(JSON.stringify({ name, type }));
        if (metadata.length > META_MAX) throw new RangeError("a part's name and type are too long");
        await this._run(null, async () => {
          if (!this._headerSent) {
            await this._sink(this.header.slice());
            this.bytesWritten += this.header.length;
            this._headerSent = true;
          }
          if (this._inPart) await this._emit(this._piece.subarray(0, this._fill), TAG_PUSH);
          await this._emit(metadata, TAG_MESSAGE);
          this._inPart = true;
          this._fill = 0;
        });
      }

      /** Appends bytes to the current part. */
      async write(bytes) {
        if (!isBytes(bytes)) throw new TypeError('write() takes a Uint8Array');
        await this._run('call beginPart() before write()', async () => {
          let offset = 0;
          while (offset < bytes.length) {
            if (this._fill === CHUNK) {
              // More bytes follow, so the full piece in hand is not the part's last: a MESSAGE chunk.
              await this._emit(this._piece, TAG_MESSAGE);
              this._fill = 0;
            }
            const take = Math.min(CHUNK - this._fill, bytes.length - offset);
            this._piece.set(bytes.subarray(offset, offset + take), this._fill);
            this._fill += take;
            offset += take;
          }
        });
      }

      /** Ends the last part with the FINAL chunk. The envelope is complete once this resolves. */
      async close() {
        await this._run('an envelope has at least one part: call beginPart() first', async () => {
          await this._emit(this._piece.subarray(0, this._fill), TAG_FINAL);
          this._inPart = false;
          this._closed = true;
        });
      }

      /** Runs one step, refusing misuse first; a failed step (the sink's) leaves the writer unusable. */
      async _run(partRequired, step) {
        if (this._busy) throw new Error('await each EnvelopeWriter call before the next');
        if (this._closed) throw new Error('this envelope is closed');
        if (this._broken) throw new Error('this envelope failed earlier and cannot continue');
        if (partRequired && !this._inPart) throw new Error(partRequired);
        this._busy = true;
        try {
          await step();
        } catch (e) {
          this._broken = true;
          throw e;
        } finally {
          this._busy = false;
        }
      }

      async _emit(plaintext, tag) {
        const ad = this._firstChunk ? this.header : null;
        this._firstChunk = false;
        const ciphertext = sodium.crypto_secretstream_xchacha20poly1305_push(this._state, plaintext, ad, tag);
        const framed = new Uint8Array(4 + ciphertext.length);
        new DataView(framed.buffer).setUint32(0, ciphertext.length, false);
        framed.set(ciphertext, 4);
        await this._sink(framed);
        this.bytesWritten += framed.length;
      }
    }

    /**
     * A streaming envelope writer; see EnvelopeWriter.
     * @param {Array<string|Uint8Array|{raw: Uint8Array}>} recipients
     * @param {(bytes: Uint8Array) => Promise<void>} sink
     * @returns {EnvelopeWriter}
     */
    function createWriter(recipients, sink) {
      return new EnvelopeWriter(recipients, sink);
    }

    function partSize(data) {
      if (typeof data === 'string') return utf8Encoder.encode(data).length;
      if (isBytes(data)) return data.length;
      if (isBlob(data)) return data.size;
      throw new TypeError("a part's data is a Blob, a Uint8Array or a string");
    }

    /**
     * Encrypts whole parts into one envelope. Blobs (and Files) are read a slice at a time, never whole.
     * @param {Array<string|Uint8Array|{raw: Uint8Array}>} recipients
     * @param {Array<{name: string, type: string, data: Blob|Uint8Array|string}>} parts at least one
     * @param {(bytes: Uint8Array) => Promise<void>} sink
     * @param {(done: number, total: number) => void} [onProgress] called after each slice, in plaintext bytes
     * @returns {Promise<{fileKey: Uint8Array, length: number}>} the envelope's key and its size in bytes
     */
    async function encryptParts(recipients, parts, sink, onProgress) {
      if (!Array.isArray(parts) || parts.length === 0) {
        throw new TypeError('an envelope has at least one part');
      }
      let total = 0;
      for (const part of parts) total += partSize(part.data);
      const writer = createWriter(recipients, sink);
      let done = 0;
      const progress = (n) => {
        done += n;
        if (onProgress) onProgress(done, total);
      };
      for (const part of parts) {
        await writer.beginPart(part.name, part.type);
        const data = part.data;
        if (isBlob(data)) {
          for (let offset = 0; offset < data.size; offset += BLOB_READ_BYTES) {
            const end = Math.min(data.size, offset + BLOB_READ_BYTES);
            const bytes = new Uint8Array(await data.slice(offset, end).arrayBuffer());
            await writer.write(bytes);
            progress(bytes.length);
          }
        } else {
          const bytes = typeof data === 'string' ? utf8Encoder.encode(data) : data;
          await writer.write(bytes);
          progress(bytes.length);
        }
      }
      await writer.close();
      return { fileKey: writer.fileKey, length: writer.bytesWritten };
    }

    // -- Reading (FORMAT.md 2.4) --

    /**
     * Reads one envelope. Made by openEnvelope(), which has already checked the header and found the
     * file key. Iterate it (once) with `for await`; it yields, in order:
     *
     *     {kind: 'part', index, name, type}   a part begins
     *     {kind: 'data', index, bytes}        authenticated plaintext of that part (at most 64 KiB)
     *     {kind: 'end', index, size}          that part is complete
     *
     * The envelope is valid only if the loop finishes without throwing: an error (SoriCryptoError) can come
     * after some plaintext was handed out (FORMAT.md 2.4), so keep output somewhere temporary until then.
     */
    class EnvelopeReader {
      constructor(src, parsedHeader, fileKey, limits) {
        this.version = parsedHeader.version;
        this.header = parsedHeader.header;
        this.keyIds = parsedHeader.keyIds.map(toHex);
        /** This envelope's key (to re-seal it to a colleague; keep it secret). */
        this.fileKey = fileKey;
        this._src = src;
        this._streamHeader = parsedHeader.streamHeader;
        this._maxParts = limits.maxParts;
        this._maxBytes = limits.maxBytes;
        this._used = false;
      }

      async *[Symbol.asyncIterator]() {
        if (this._used) throw new Error('an EnvelopeReader is read once');
        this._used = true;
        try {
          yield* this._chunks();
        } finally {
          await this._src.release();
        }
      }

      async *_chunks() {
        const src = this._src;
        // Step 6.
        let state;
        try {
          state = sodium.crypto_secretstream_xchacha20poly1305_init_pull(this._streamHeader, this.fileKey);
        } catch (e) {
          fail('tampered', 'the envelope cannot be opened with this key', { cause: e });
        }
        let expectMetadata = true; // the next chunk starts a part
        let first = true;
        let index = -1;
        let size = 0; // of the current part
        let total = 0; // of all parts
        for (;;) {
          // Step 7: one chunk.
          const lengthBytes = await src.read(4);
          if (lengthBytes.length < 4) fail('truncated', 'the envelope ends before its last chunk');
          const length = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 4).getUint32(0, false);
          // The length is checked before the ciphertext is read, so an absurd length costs nothing.
          if (length < ABYTES || length > MAX_CIPHERTEXT) {
            fail('size_limit', 'a chunk length of ' + length + ' bytes is out of bounds');
          }
          const ciphertext = await src.read(length);
          if (ciphertext.length < length) fail('truncated', 'the envelope ends inside a chunk');
          let result;
          try {
            const ad = first ? this.header : null;
            result = sodium.crypto_secretstream_xchacha20poly1305_pull(state, ciphertext, ad);
          } catch (e) {
            result = false;
          }
          if (!result) fail('tampered', 'the envelope was altered, or this is the wrong key');
          first = false;
          const { message, tag } = result;
          if (tag !== TAG_MESSAGE && tag !== TAG_PUSH && tag !== TAG_FINAL) {
            fail('malformed', 'a chunk has tag ' + tag); // REKEY (2) is not used by this format
          }

          // Step 8: the grammar of 2.3.
          if (expectMetadata) {
            if (tag !== TAG_MESSAGE) fail('malformed', "a part's metadata chunk is not tagged MESSAGE");
            if (message.length > META_MAX) fail('size_limit', "a part's metadata is over 4096 bytes");
            const { name, type } = parseMetadata(message);
            index += 1;
            if (this._maxParts !== undefined && index + 1 > this._maxParts) {
              fail('size_limit', 'the envelope has more parts than allowed');
            }
            size = 0;
            expectMetadata = false;
            yield { kind: 'part', index, name, type };
            continue;
          }
          if (tag === TAG_MESSAGE && message.length !== CHUNK) {
            fail('malformed', 'a data chunk before the last one is not 64 KiB');
          }
          if (tag !== TAG_MESSAGE && message.length === 0 && size > 0) {
            fail('malformed', "a part's last chunk is empty");
          }
          total += message.length;
          if (this._maxBytes !== undefined && total > this._maxBytes) {
            fail('size_limit', 'the envelope holds more bytes than allowed');
          }
          // size > 0 stands for "had a data chunk": every data chunk before the last is 64 KiB.
          size += message.length;
          if (message.length > 0) yield { kind: 'data', index, bytes: message };
          if (tag === TAG_PUSH) {
            expectMetadata = true;
            yield { kind: 'end', index, size };
          } else if (tag === TAG_FINAL) {
            yield { kind: 'end', index, size };
            const extra = await src.read(1);
            if (extra.length > 0) fail('trailing_data', 'bytes follow the end of the envelope');
            return;
          }
        }
      }
    }

    function parseMetadata(bytes) {
      let metadata;
      try {
        metadata = JSON.parse(utf8Decoder.decode(bytes));
      } catch (e) {
        fail('malformed', "a part's metadata is not UTF-8 JSON", { cause: e });
      }
      if (!isObject(metadata) || !isValidLabel(metadata.name) || !isValidLabel(metadata.type)) {
        fail('malformed', "a part's metadata needs a name and a type of 1 to 255 characters");
      }
      return { name: metadata.name, type: metadata.type };
    }

    /**
     * Opens an envelope for reading: checks its header (FORMAT.md 2.4 steps 1 to 5) and finds the file key.
     * Give either an identity or a file key. Optional limits make the reader stop with `size_limit`.
     * @param {Uint8Array|Blob|ReadableStream|AsyncIterable<Uint8Array>|Iterable<Uint8Array>} source
     * @param {{identity?: {secretKey: Uint8Array, publicKey: Uint8Array}, fileKey?: Uint8Array,
     *          maxParts?: number, maxBytes?: number}} options
     * @returns {Promise<EnvelopeReader>}
     */
    async function openEnvelope(source, options) {
      const { identity, fileKey, maxParts, maxBytes } = options || {};
      if ((identity === undefined) === (fileKey === undefined)) {
        throw new TypeError('open an envelope with either an identity or a fileKey');
      }
      if (identity !== undefined) checkIdentity(identity);
      if (fileKey !== undefined && !(isBytes(fileKey) && fileKey.length === KEY_BYTES)) {
        throw new TypeError('a fileKey is a Uint8Array of 32 bytes');
      }
      const src = new ByteSource(source);
      try {
        const parsed = await readHeaderFrom(src);
        const key = fileKey !== undefined ? fileKey.slice() : findFileKey(parsed, identity);
        return new EnvelopeReader(src, parsed, key, { maxParts, maxBytes });
      } catch (e) {
        await src.release();
        throw e;
      }
    }

    /** Step 5: the first stanza addressed to the identity that opens gives the file key. */
    function findFileKey(parsed, identity) {
      const ownKeyId = keyIdOf(identity.publicKey);
      let matched = false;
      for (let i = 0; i < parsed.keyIds.length; i++) {
        if (!equalBytes(parsed.keyIds[i], ownKeyId)) continue;
        matched = true;
        try {
          return sodium.crypto_box_seal_open(parsed.sealedKeys[i], identity.publicKey, identity.secretKey);
        } catch (_) {
          // This stanza does not open; another with the same key id may.
        }
      }
      if (!matched) fail('no_matching_key', 'this envelope is not addressed to this identity');
      fail('tampered', 'the key sealed to this identity does not open');
    }

    /**
     * Decrypts a whole envelope into memory (small envelopes, tests). Same options as openEnvelope.
     * @returns {Promise<Array<{name: string, type: string, data: Uint8Array}>>}
     */
    async function decryptParts(source, options) {
      const reader = await openEnvelope(source, options);
      const parts = [];
      let pieces = [];
      for await (const event of reader) {
        if (event.kind === 'part') {
          parts.push({ name: event.name, type: event.type, data: null });
          pieces = [];
        } else if (event.kind === 'data') {
          pieces.push(event.bytes);
        } else {
          parts[event.index].data = concatBytes(pieces);
        }
      }
      return parts;
    }

    /**
     * The header of an envelope without any key: FORMAT.md 2.4 checks 1 to 4, then the recipients' key ids.
     * @param {Uint8Array|Blob|ReadableStream|AsyncIterable<Uint8Array>} source only its first bytes are read
     * @returns {Promise<{version: number, keyIds: string[], headerLength: number}>} key ids in hex
     */
    async function readHeader(source) {
      const src = new ByteSource(source);
      try {
        const parsed = await readHeaderFrom(src);
        const { version, keyIds, header } = parsed;
        return { version, keyIds: keyIds.map(toHex), headerLength: header.length };
      } finally {
        await src.release();
      }
    }

    // -- Receipts (FORMAT.md 6) --

    /**
     * The keys of a receipt: the argon2id `secret`, the `lookupKey` the server may see (it stores only
     * SHA-256 of it), and the source's `identity`, which nothing sent to the server reveals. Needs
     * libsodium's crypto_pwhash (argon2id). Throws SoriCryptoError `bad_receipt` for anything but exactly
     * 16 ASCII digits and a 16-byte salt.
     * @param {string} digits
     * @param {Uint8Array} salt
     * @returns {{secret: Uint8Array, lookupKey: Uint8Array, identity: {secretKey: Uint8Array, publicKey: Uint8Array}}}
     */
    function deriveReceipt(digits, salt) {
      if (typeof digits !== 'string' || !new RegExp('^[0-9]{' + RECEIPT_DIGITS + '}$').test(digits)) {
        fail('bad_receipt', 'a receipt is exactly 16 ASCII digits');
      }
      if (!isBytes(salt) || salt.length !== RECEIPT_SALT_BYTES) fail('bad_receipt', 'a receipt salt is 16 bytes');
      if (typeof sodium.crypto_pwhash !== 'function') throw new Error('deriveReceipt needs argon2id (crypto_pwhash)');
      const secret = sodium.crypto_pwhash(KEY_BYTES, utf8Encoder.encode(digits), salt, RECEIPT_OPSLIMIT,
        RECEIPT_MEMLIMIT, sodium.crypto_pwhash_ALG_ARGON2ID13);
      return receiptFromSecret(secret);
    }

    /** The keys drawn from a receipt's argon2id secret (32 bytes), as deriveReceipt gives them. */
    function receiptFromSecret(secret) {
      if (!isBytes(secret) || secret.length !== KEY_BYTES) fail('bad_receipt', 'a receipt secret is 32 bytes');
      const lookupKey = sodium.crypto_generichash(32, utf8Encoder.encode(LOOKUP_LABEL), secret);
      const sourceSecret = sodium.crypto_generichash(32, utf8Encoder.encode(SOURCE_LABEL), secret);
      return { secret: secret.slice(), lookupKey, identity: identityFromSecretKey(sourceSecret) };
    }

    return Object.freeze({
      deriveReceipt,
      receiptFromSecret,
      parsePublicKey,
      publicKeyFromRaw,
      generateIdentity,
      identityFromSecretKey,
      wrapIdentity,
      unwrapIdentity,
      readIdentityPublicKey,
      createWriter,
      encryptParts,
      openEnvelope,
      decryptParts,
      readHeader,
      SoriCryptoError,
    });
  }

  return Object.freeze({
    create,
    SoriCryptoError,
    CODES,
    CHUNK,
    META_MAX,
    toBase64url,
    fromBase64url,
  });
});
