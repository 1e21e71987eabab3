/*
 * status.js: on the status page, turns the receipt a source types into its receipt_key in the browser, so
 * that the receipt itself never reaches the server (docs/source-intake.md, "Receipts").
 *
 * Progressive enhancement: the receipt form (#receipt-form) posts the typed receipt when this script does
 * not run, when WebAssembly does not work (Tor Browser "Safer"), or when what was typed is not 16 digits;
 * the server then derives the key itself, or answers with its error in the page's language. With
 * WebAssembly, this script loads libsodium.js (the scripts of the form's data-sodium attribute, with their
 * Subresource Integrity), derives receipt_key = argon2id(digits, data-receipt-salt) into the hidden
 * `receipt_key` field, empties the `receipt` field and sends the form.
 *
 * A plain script without build step or inline code; in Node it only exports receiptDigits for the tests.
 */
(function (root, factory) {
  'use strict';
  const api = factory();
  if (typeof module === 'object' && module.exports) {
    module.exports = api;
  } else if (typeof document !== 'undefined') {
    api.start(document);
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // The receipt's argon2id parameters (docs/source-intake.md); the server path uses the same.
  const RECEIPT_OPSLIMIT = 2;
  const RECEIPT_MEMLIMIT = 64 * 1024 * 1024;
  const RECEIPT_KEY_BYTES = 32;

  /**
   * The 16 digits of a receipt as typed, or null. Full-width digits (a Korean input method may give them)
   * count as digits; spaces and dashes between groups are allowed. Anything else is not a receipt and is
   * left to the server, which refuses it in the source's language and throttles guesses.
   * @param {string} typed
   * @returns {string|null}
   */
  function receiptDigits(typed) {
    const text = String(typed).normalize('NFKC');
    if (!/^[0-9\s-]*$/.test(text)) return null;
    const digits = text.replace(/[^0-9]/g, '');
    return digits.length === 16 ? digits : null;
  }

  /** Whether WebAssembly really runs: the object exists and the smallest module instantiates. */
  function wasmWorks() {
    try {
      if (typeof WebAssembly !== 'object' || typeof WebAssembly.Module !== 'function') return false;
      const module = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
      return new WebAssembly.Instance(module) instanceof WebAssembly.Instance;
    } catch (_) {
      return false;
    }
  }

  /** Adds one <script> with its integrity and resolves once it has run. */
  function loadScript(doc, entry) {
    return new Promise((resolve, reject) => {
      const script = doc.createElement('script');
      script.src = entry.src;
      script.integrity = entry.integrity;
      script.crossOrigin = 'anonymous';
      script.async = false;
      script.addEventListener('load', () => resolve());
      script.addEventListener('error', () => reject(new Error('could not load ' + entry.src)));
      doc.head.appendChild(script);
    });
  }

  /** Loads the data-sodium scripts in order; a ready libsodium with argon2id (sumo), or null. */
  async function loadSodium(doc, form) {
    let entries;
    try {
      entries = JSON.parse(form.getAttribute('data-sodium') || 'null');
    } catch (_) {
      return null;
    }
    if (!Array.isArray(entries) || entries.length === 0) return null;
    for (const entry of entries) {
      if (!entry || typeof entry.src !== 'string' || typeof entry.integrity !== 'string') return null;
      await loadScript(doc, entry);
    }
    const sodium = doc.defaultView.sodium;
    if (!sodium || !sodium.ready) return null;
    await sodium.ready;
    return typeof sodium.crypto_pwhash === 'function' ? sodium : null;
  }

  /** receipt_key, base64url without padding, from the digits and the instance's salt (base64url). */
  function deriveReceiptKey(sodium, digits, saltText) {
    const variant = sodium.base64_variants.URLSAFE_NO_PADDING;
    const salt = sodium.from_base64(saltText, variant);
    if (salt.length !== sodium.crypto_pwhash_SALTBYTES) throw new Error('the receipt salt is not 16 bytes');
    const key = sodium.crypto_pwhash(RECEIPT_KEY_BYTES, new TextEncoder().encode(digits), salt,
      RECEIPT_OPSLIMIT, RECEIPT_MEMLIMIT, sodium.crypto_pwhash_ALG_ARGON2ID13);
    return sodium.to_base64(key, variant);
  }

  /** Makes the receipt form send receipt_key instead of the receipt. */
  function enhance(form, sodium) {
    const typed = form.querySelector('input[name="receipt"]');
    const hidden = form.querySelector('input[name="receipt_key"]');
    const salt = form.getAttribute('data-receipt-salt');
    if (!typed || !hidden || !salt) return;
    // Says that the receipt is now turned into its key here (for styles and tests).
    form.setAttribute('data-enhanced', 'browser');
    form.addEventListener('submit', (event) => {
      const digits = receiptDigits(typed.value);
      if (digits === null) return; // the server explains what is wrong with it
      event.preventDefault();
      let key;
      try {
        key = deriveReceiptKey(sodium, digits, salt);
      } catch (_) {
        form.submit(); // not enough memory for argon2id here: the server derives it instead
        return;
      }
      hidden.value = key;
      typed.value = '';
      // The field is `required`; submit() skips validation and fires no second submit event.
      form.submit();
    });
  }

  /** Enhances #receipt-form if the page has one; never throws, so the normal post always stays. */
  function start(doc) {
    const run = async () => {
      const form = doc.getElementById('receipt-form');
      if (!form || !wasmWorks()) return;
      const sodium = await loadSodium(doc, form);
      if (sodium) enhance(form, sodium);
    };
    const go = () => run().catch((error) => {
      if (doc.defaultView.console) doc.defaultView.console.warn('Sori: receipts are checked by the server', error);
    });
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', go);
    else go();
  }

  return Object.freeze({ start, receiptDigits });
});
