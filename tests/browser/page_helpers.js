// Loaded by the browser tests next to sori-envelope.js: moves bytes across Playwright as base64 and
// turns library results into plain JSON for Python to compare.
(function () {
  'use strict';

  function fromBase64(text) {
    const binary = atob(text);
    const out = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
    return out;
  }

  function toBase64(bytes) {
    let binary = '';
    for (let i = 0; i < bytes.length; i += 0x8000) {
      binary += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
    }
    return btoa(binary);
  }

  /** Runs `action`; returns {ok: value} or {code} for a SoriCryptoError, and rethrows anything else. */
  async function outcome(action) {
    try {
      return { ok: await action() };
    } catch (error) {
      if (error instanceof SoriEnvelope.SoriCryptoError) return { code: error.code };
      throw error;
    }
  }

  /** Opens an envelope (base64) with {secretKeyHex} or {fileKeyHex}; parts come back with base64 data. */
  async function decrypt(envelopeBase64, key) {
    const options = key.fileKeyHex
      ? { fileKey: sodium.from_hex(key.fileKeyHex) }
      : { identity: sori.identityFromSecretKey(sodium.from_hex(key.secretKeyHex)) };
    return outcome(async () => {
      const parts = await sori.decryptParts(fromBase64(envelopeBase64), options);
      return parts.map((p) => ({ name: p.name, type: p.type, data: toBase64(p.data) }));
    });
  }

  window.soriTest = { fromBase64, toBase64, outcome, decrypt };
})();
