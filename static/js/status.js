/*
 * status.js: coming back with a receipt, in the source's browser (docs/source-intake.md, "Coming back").
 *
 * With WebAssembly, the browser derives the receipt's keys (crypto/FORMAT.md section 6) and posts only the
 * lookup key and the source's public key to /api/status. The server answers the page's part as HTML in
 * which the reviewers' messages are still sealed; this script opens them with the source's secret key,
 * which never leaves the page, and shows them as text. Then it prepares the answer form in that part with
 * submit.js. A receipt issued before the lookup key existed is found by posting its digits once, when the
 * server says such receipts still wait (FORMAT.md 6.3).
 *
 * Without WebAssembly (or JavaScript) the receipt form posts the digits to /status and the server does all
 * of this in memory for that one request; the page says so before anything is sent (submit.js holdSend).
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In a page it starts on the receipt
 * form; in Node it exports its pure helpers for tests/js.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(null);
  } else {
    root.SoriStatus = factory(root.SoriSubmit);
    if (typeof document !== 'undefined') root.SoriStatus.start(document);
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function (submit) {
  'use strict';

  const URLSAFE = 'URLSAFE_NO_PADDING';

  /**
   * The 16 digits of a receipt as typed, or null. Full-width digits (a Korean input method may give them)
   * count as digits; white space and dashes between groups are allowed. Anything else is not a receipt and
   * is left to the server, which refuses it in the source's language.
   * @param {string} typed
   * @returns {string|null}
   */
  function receiptDigits(typed) {
    const text = String(typed).normalize('NFKC');
    if (!/^[0-9\s-]*$/.test(text)) return null;
    const digits = text.replace(/[^0-9]/g, '');
    return digits.length === 16 ? digits : null;
  }

  /** Base64 (standard alphabet, padded) to bytes, as the page carries sealed messages. */
  function fromBase64(text) {
    const binary = atob(text);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes;
  }

  /**
   * Opens every sealed message of the inserted part with the source's identity and shows it as text (never
   * as HTML). A message that does not open says so.
   */
  async function openMessages(container, sori, identity) {
    const decoder = new TextDecoder('utf-8', { fatal: false });
    for (const element of container.querySelectorAll('[data-sealed]')) {
      let text = null;
      try {
        const parts = await sori.decryptParts(fromBase64(element.getAttribute('data-sealed')), { identity });
        const message = parts.find((part) => part.name === 'message.txt');
        if (message) text = decoder.decode(message.data);
      } catch (_) {
        text = null;
      }
      element.textContent = text === null ? element.getAttribute('data-msg-unreadable') || '' : text;
      element.removeAttribute('data-sealed');
    }
  }

  /** POSTs JSON to the status API; resolves to {status, body}, or rejects when no answer comes. */
  async function ask(url, csrf, payload) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
      body: JSON.stringify(payload),
    });
    let body = {};
    try {
      body = await response.json();
    } catch (_) {
      body = {};
    }
    return { status: response.status, body };
  }

  /**
   * Takes the receipt form over: derives the keys here, asks /api/status, shows the answer.
   * @param {Document} doc
   * @param {HTMLFormElement} form
   * @param {object} sodium ready libsodium
   */
  function enhanceReceipt(doc, form, sodium) {
    const win = doc.defaultView;
    const sori = win.SoriEnvelope.create(sodium);
    const typed = form.querySelector('input[name="receipt"]');
    const nonce = form.querySelector('input[name="form_nonce"]');
    const csrf = form.querySelector('input[name="csrf_token"]');
    const salt = form.getAttribute('data-receipt-salt');
    const url = form.getAttribute('data-status-url');
    const error = doc.getElementById('status-error');
    const result = doc.getElementById('status-result');
    if (!typed || !nonce || !csrf || !salt || !url || !result) return false;
    const say = (message) => {
      if (!error) return;
      error.textContent = message || form.getAttribute('data-msg-failed') || '';
      error.hidden = false;
    };
    let running = false;
    form.addEventListener('submit', (event) => {
      if (form.getAttribute('data-path') !== 'browser') return;
      const digits = receiptDigits(typed.value);
      if (digits === null) return; // the server explains what is wrong with it
      event.preventDefault();
      if (running) return;
      running = true;
      if (error) error.hidden = true;
      for (const button of form.querySelectorAll('button')) button.disabled = true;
      lookUp(digits)
        .catch(() => say(null))
        .finally(() => {
          running = false;
          for (const button of form.querySelectorAll('button')) button.disabled = false;
        });
    });

    async function lookUp(digits) {
      const keys = sori.deriveReceipt(digits, sodium.from_base64(salt, sodium.base64_variants[URLSAFE]));
      const payload = {
        lookup_key: sodium.to_base64(keys.lookupKey, sodium.base64_variants[URLSAFE]),
        source_key: sori.publicKeyFromRaw(keys.identity.publicKey).text,
        form_nonce: nonce.value,
      };
      let answer = await ask(url, csrf.value, payload);
      if (answer.status === 403 && answer.body.legacy && answer.body.form_nonce) {
        // A receipt from before the lookup key: the server must derive it once to find and upgrade it.
        nonce.value = answer.body.form_nonce;
        answer = await ask(url, csrf.value, { ...payload, receipt: digits, form_nonce: nonce.value });
      }
      if (answer.body.form_nonce) nonce.value = answer.body.form_nonce;
      if (answer.status !== 200 || typeof answer.body.html !== 'string') {
        say(answer.body.message);
        return;
      }
      typed.value = '';
      result.innerHTML = answer.body.html; // our own page part: text escaped by the server, no script
      const section = doc.getElementById('receipt-section');
      if (section) section.hidden = true;
      result.hidden = false;
      await openMessages(result, sori, keys.identity);
      const testimony = result.querySelector('#testimony');
      if (testimony && submit) submit.prepare(doc, testimony);
      if (result.scrollIntoView) result.scrollIntoView();
    }
    return true;
  }

  /**
   * Holds the receipt form's Continue at once, then settles its path: the browser when libsodium loads,
   * the server otherwise (said on the page before anything is sent). Never throws.
   * @param {Document} doc
   */
  async function start(doc) {
    const form = doc.getElementById('receipt-form');
    if (!form || !submit) return;
    const settle = submit.holdSend(doc, form);
    const sodium = await submit.sodiumFor(doc, form);
    if (!sodium) return settle('server', 'unable');
    try {
      settle(enhanceReceipt(doc, form, sodium) ? 'browser' : 'server', 'unable');
    } catch (error) {
      if (doc.defaultView.console) doc.defaultView.console.warn('Sori: browser decryption is off', error);
      settle('server', 'unable');
    }
  }

  return Object.freeze({ start, receiptDigits });
});
