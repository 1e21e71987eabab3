/*
 * reviewer-keys.js: a reviewer's key, made and used only in the reviewer's browser (reviewer/keys/).
 *
 * - On /reviewer/keys (#key-enrol): generates an X25519 identity with sori-envelope.js, wraps it under
 *   argon2id of a key passphrase typed twice (crypto/FORMAT.md section 3, default cost) and sends only the
 *   public key and the wrapped identity file. The passphrase and the secret key never leave this page.
 * - On /reviewer/keys/grants (#grants): unlocks the reviewer's own identity once per tab (the passphrase is
 *   asked once; the unwrapped key lives in this script's memory only, never in storage or a cookie), then
 *   for each envelope a colleague cannot read yet recovers its file key (from the envelope's header, or
 *   from a grant to this reviewer) and seals it to the colleague's public key (crypto_box_seal, 80 bytes).
 *
 * libsodium.js (with argon2id) and sori-envelope.js are loaded with Subresource Integrity from the
 * page's data-sodium attribute by sodium-loader.js, which the page loads first. One plain script, no build
 * step, no inline code (the CSP forbids it). In Node it only exports its pure helpers for tests.
 */
// In Node, only the pure helpers, for tests/js; in a page, start (the page loaded sodium-loader.js first).
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else if (typeof document !== 'undefined') factory().start(document);
})(function () {
  'use strict';

  const MIN_PASSPHRASE_CHARS = 12;
  const SEALED_KEY_BYTES = 80;
  // Envelopes asked for and granted per request: small enough for steady progress, large enough to be quick.
  const BATCH = 50;

  // ---- Pure helpers (also usable in Node) ---------------------------------------------------------

  /**
   * A rough strength of a key passphrase: 'short' (refused), 'weak', 'fair' or 'strong'. It counts the
   * characters (code points, so Hangul counts once per syllable), the kinds of characters used, and
   * discounts repetition. A hint for people, not a guarantee.
   * @param {string} passphrase
   */
  function passphraseStrength(passphrase) {
    const chars = Array.from(passphrase || '');
    if (chars.length < MIN_PASSPHRASE_CHARS) return 'short';
    let pool = 0;
    if (chars.some((c) => c >= 'a' && c <= 'z')) pool += 26;
    if (chars.some((c) => c >= 'A' && c <= 'Z')) pool += 26;
    if (chars.some((c) => c >= '0' && c <= '9')) pool += 10;
    if (chars.some((c) => c.charCodeAt(0) < 128 && !/[A-Za-z0-9]/.test(c))) pool += 33;
    if (chars.some((c) => c.codePointAt(0) >= 128)) pool += 2000; // Hangul syllables and the like
    const distinct = new Set(chars).size;
    const bits = Math.min(chars.length, distinct * 2) * Math.log2(Math.max(pool, 2));
    if (bits < 60) return 'weak';
    if (bits < 90) return 'fair';
    return 'strong';
  }

  /** `template` (a URL whose path has a `/0` segment for the id) with `id` in its place. */
  function withId(template, id) {
    return template.replace(/\/0(?=$|[/?#])/, '/' + encodeURIComponent(String(id)));
  }

  /** `url` (maybe carrying ?lang=) with more query parameters. */
  function withQuery(url, params) {
    const parsed = new URL(url, 'http://placeholder.invalid');
    for (const [name, value] of Object.entries(params)) parsed.searchParams.set(name, String(value));
    return parsed.pathname + parsed.search;
  }

  // ---- Loading libsodium ------------------------------------------------------------------------

  /**
   * libsodium.js and sori-envelope.js, loaded by sodium-loader.js (which the page loads first) from
   * the section's data-sodium attribute. Rejects when anything is missing: the forms then stay hidden.
   * @returns {Promise<{sodium: object, sori: object, SoriEnvelope: object}>}
   */
  async function loadLibraries(doc, section) {
    const win = doc.defaultView;
    const sodium = win.SoriLoader ? await win.SoriLoader.loadSodium(doc, section) : null;
    if (!sodium) throw new Error('WebAssembly, libsodium.js or sori-envelope.js is missing');
    return { sodium, sori: win.SoriEnvelope.create(sodium), SoriEnvelope: win.SoriEnvelope };
  }

  // ---- Small page helpers -----------------------------------------------------------------------

  /** A failure shown to the reviewer: `kind` names a data-msg-* text of the section. */
  class PageError extends Error {
    constructor(kind, detail) {
      super(detail || kind);
      this.name = 'PageError';
      this.kind = kind;
    }
  }

  function show(element, text) {
    if (!element) return;
    if (text !== undefined) element.textContent = text;
    element.hidden = false;
  }

  function hide(element) {
    if (element) element.hidden = true;
  }

  async function jsonOf(response) {
    try {
      return await response.json();
    } catch (_) {
      return {};
    }
  }

  async function getJson(url) {
    const response = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    return { status: response.status, ok: response.ok, body: await jsonOf(response) };
  }

  async function postJson(url, csrf, payload) {
    const response = await fetch(url, {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
      body: JSON.stringify(payload),
    });
    return { status: response.status, ok: response.ok, body: await jsonOf(response) };
  }

  /** Lets the page paint (a status line) before a long synchronous step such as argon2id. */
  function nextPaint(win) {
    return new Promise((resolve) => win.setTimeout(resolve, 30));
  }

  // ---- Enrolment --------------------------------------------------------------------------------

  function enhanceEnrolment(doc, section, lib) {
    const win = doc.defaultView;
    const form = doc.getElementById('enrol-form');
    const first = doc.getElementById('key-passphrase');
    const second = doc.getElementById('key-passphrase-again');
    const strength = doc.getElementById('passphrase-strength');
    const error = doc.getElementById('enrol-error');
    const status = doc.getElementById('enrol-status');
    const button = doc.getElementById('enrol-button');
    const msg = (name) => section.getAttribute('data-msg-' + name) || '';
    let errors = {};
    try {
      errors = JSON.parse(section.getAttribute('data-errors') || '{}');
    } catch (_) {
      errors = {};
    }
    form.hidden = false;

    first.addEventListener('input', () => {
      const level = passphraseStrength(first.value);
      strength.textContent = first.value ? msg(level) : '';
    });

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      hide(error);
      const passphrase = first.value;
      if (passphraseStrength(passphrase) === 'short') return show(error, msg('short'));
      if (passphrase !== second.value) return show(error, msg('different'));
      button.disabled = true;
      show(status, msg('working'));
      enrol(win, section, lib, passphrase)
        .then((saved) => {
          first.value = '';
          second.value = '';
          hide(form);
          show(doc.getElementById('enrol-done'), msg('done'));
          doc.getElementById('enrol-fingerprint').textContent = saved.fingerprint;
          show(doc.getElementById('enrol-result'));
        })
        .catch((e) => {
          if (win.console) win.console.warn('Sori: enrolment failed', e);
          show(error, (e instanceof PageError && errors[e.kind]) || msg('failed'));
        })
        .finally(() => {
          button.disabled = false;
          hide(status);
        });
    });
  }

  /** Makes, wraps and sends a new identity; resolves to the server's answer {fingerprint, …}. */
  async function enrol(win, section, lib, passphrase) {
    await nextPaint(win);
    const { sori, sodium } = lib;
    const identity = sori.generateIdentity();
    let identityFile;
    try {
      identityFile = sori.wrapIdentity(identity, passphrase);
    } finally {
      sodium.memzero(identity.secretKey);
    }
    const publicKey = sori.publicKeyFromRaw(identity.publicKey);
    const answer = await postJson(section.getAttribute('data-enrol-url'), section.getAttribute('data-csrf'), {
      public_key: publicKey.text,
      identity_file: identityFile,
    });
    if (answer.status !== 201) throw new PageError(answer.body.error || 'failed', 'HTTP ' + answer.status);
    if (answer.body.fingerprint !== publicKey.fingerprint) throw new PageError('failed', 'fingerprint differs');
    return answer.body;
  }

  // ---- Grants -----------------------------------------------------------------------------------

  function enhanceGrants(doc, section, lib) {
    const win = doc.defaultView;
    const unlockForm = doc.getElementById('unlock-form');
    const passphraseInput = doc.getElementById('grant-passphrase');
    const status = doc.getElementById('grant-status');
    const error = doc.getElementById('grant-error');
    const progress = doc.getElementById('grant-progress');
    const msg = (name) => section.getAttribute('data-msg-' + name) || '';
    const buttons = Array.from(doc.querySelectorAll('button.grant'));
    // The unlocked identity: in this closure only, for as long as the tab lives.
    const state = { identity: null, busy: false };
    unlockForm.hidden = false;
    unlockForm.addEventListener('submit', (event) => event.preventDefault());
    for (const button of buttons) {
      button.hidden = false;
      button.addEventListener('click', () => {
        if (state.busy) return;
        state.busy = true;
        hide(error);
        for (const b of buttons) b.disabled = true;
        show(status, msg('working'));
        progress.value = 0;
        show(progress);
        grantAll(section, lib, state, passphraseInput, button, (done, total) => {
          progress.max = Math.max(total, 1);
          progress.value = done;
        })
          .then((granted) => {
            show(status, msg('done').replace('{num}', String(granted)));
            const count = button.parentElement.querySelector('.pending-count');
            if (count) count.hidden = true;
            button.remove();
          })
          .catch((e) => {
            if (win.console) win.console.warn('Sori: grant failed', e);
            hide(status);
            const kind = e instanceof PageError ? e.kind : 'failed';
            show(error, msg(kind) || msg('failed'));
            const reauth = section.getAttribute('data-reauth-url');
            if (kind === 'reauth' && reauth) {
              const link = doc.createElement('a');
              link.href = reauth;
              link.textContent = ' →';
              error.appendChild(link);
            }
          })
          .finally(() => {
            state.busy = false;
            hide(progress);
            for (const b of buttons) b.disabled = false;
          });
      });
    }
  }

  /** The reviewer's own identity, unwrapped once per tab. */
  async function unlock(section, lib, state, input) {
    if (state.identity) return state.identity;
    const passphrase = input.value;
    if (!passphrase) throw new PageError('passphrase');
    const response = await fetch(section.getAttribute('data-key-url'), {
      credentials: 'same-origin',
      headers: { Accept: 'application/json' },
    });
    if (response.status === 401) {
      const body = await jsonOf(response);
      throw new PageError(body.error === 'reauth' ? 'reauth' : 'failed', 'key fetch refused');
    }
    if (!response.ok) throw new PageError('failed', 'key fetch HTTP ' + response.status);
    const identityFile = await response.text();
    let identity;
    try {
      identity = lib.sori.unwrapIdentity(identityFile, passphrase);
    } catch (e) {
      if (e && e.code === 'wrong_passphrase') throw new PageError('wrong-passphrase');
      throw e;
    }
    if (lib.sori.publicKeyFromRaw(identity.publicKey).text !== section.getAttribute('data-own-key')) {
      throw new PageError('failed', 'the key file is not the key of this page');
    }
    input.value = '';
    state.identity = identity;
    return identity;
  }

  /** The file key of one envelope this reviewer can open: from its own stanza or from a grant. */
  async function fileKeyOf(section, lib, identity, envelope) {
    const { sori, sodium, SoriEnvelope } = lib;
    if (envelope.via === 'grant') {
      const answer = await getJson(withId(section.getAttribute('data-grant-fetch-url'), envelope.id));
      if (!answer.ok) throw new PageError('failed', 'grant fetch HTTP ' + answer.status);
      const sealed = SoriEnvelope.fromBase64url(answer.body.sealed_key, SEALED_KEY_BYTES);
      if (!sealed) throw new PageError('failed', 'a granted key is damaged');
      return sodium.crypto_box_seal_open(sealed, identity.publicKey, identity.secretKey);
    }
    // Only the header is needed: read it from the stream, then stop the download.
    const controller = new AbortController();
    try {
      const response = await fetch(withId(section.getAttribute('data-envelope-url'), envelope.id), {
        credentials: 'same-origin',
        signal: controller.signal,
      });
      if (!response.ok) throw new PageError('failed', 'envelope fetch HTTP ' + response.status);
      const reader = await sori.openEnvelope(response.body, { identity });
      return reader.fileKey;
    } finally {
      controller.abort();
    }
  }

  /** Grants every envelope the colleague of `button` lacks; resolves to how many were granted. */
  async function grantAll(section, lib, state, input, button, onProgress) {
    const { sori, sodium, SoriEnvelope } = lib;
    const identity = await unlock(section, lib, state, input);
    const recipientId = Number(button.getAttribute('data-recipient-id'));
    const colleague = sori.parsePublicKey(button.getAttribute('data-public-key'));
    const csrf = section.getAttribute('data-csrf');
    const total = Number(button.getAttribute('data-pending') || 0);
    let after = 0;
    let granted = 0;
    let seen = 0;
    for (;;) {
      const page = await getJson(withQuery(section.getAttribute('data-pending-url'), {
        recipient_id: recipientId, after, limit: BATCH,
      }));
      if (!page.ok) throw new PageError(page.body.error === 'reauth' ? 'reauth' : 'failed', 'pending list');
      // The key we seal to is the one this page showed, never one the list could swap in.
      if (page.body.recipient.public_key !== colleague.text) throw new PageError('failed', 'the key changed');
      const batch = [];
      for (const envelope of page.body.envelopes) {
        const fileKey = await fileKeyOf(section, lib, identity, envelope);
        const sealed = sodium.crypto_box_seal(fileKey, colleague.raw);
        sodium.memzero(fileKey);
        batch.push({ envelope_id: envelope.id, recipient_id: recipientId, sealed_key: SoriEnvelope.toBase64url(sealed) });
        after = envelope.id;
        seen += 1;
        onProgress(seen, Math.max(total, seen));
      }
      if (batch.length > 0) {
        const answer = await postJson(section.getAttribute('data-grant-url'), csrf, { grants: batch });
        if (!answer.ok) throw new PageError('failed', 'grant refused: ' + (answer.body.error || answer.status));
        granted += answer.body.granted;
      }
      if (!page.body.more || batch.length === 0) return granted;
    }
  }

  // ---- Start ------------------------------------------------------------------------------------

  function start(doc) {
    const run = async () => {
      const enrolment = doc.getElementById('key-enrol');
      const grants = doc.getElementById('grants');
      const section = enrolment || grants;
      if (!section || !doc.getElementById(enrolment ? 'enrol-form' : 'unlock-form')) return;
      const lib = await loadLibraries(doc, section);
      if (enrolment) enhanceEnrolment(doc, enrolment, lib);
      else enhanceGrants(doc, grants, lib);
    };
    const go = () => run().catch((error) => {
      if (doc.defaultView.console) doc.defaultView.console.warn('Sori: the key script could not start', error);
    });
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', go);
    else go();
  }

  return Object.freeze({ start, passphraseStrength, withId, withQuery });
});
