// One file on purpose: one job (the testimony form, sealed here); on Tor each extra script is a round trip.
/*
 * submit.js: the testimony form in the source's browser, which seals the account there so that on this
 * path the server never sees what the source wrote (docs/source-intake.md, "browser" path).
 *
 * Progressive enhancement, nothing more. The testimony form (#testimony, on /submit and, for a follow-up,
 * in a status page) works without this script: it posts to the server, which encrypts in memory. This
 * script holds Send the moment it runs, asks sodium-loader.js for libsodium, and then either takes the
 * form over (WebAssembly, libsodium.js and sori-envelope.js loaded with their integrity checked, the
 * recipients' keys) or says on the page, before anything is sent, that the server will encrypt: never a
 * silent fall-back. Tor Browser at "Safer" (JavaScript without WebAssembly) and "Safest" (no JavaScript)
 * rely on the normal post.
 *
 * What it does:
 * - builds answers.json from the fields (only the chosen kind of date), refuses an empty account before
 *   sealing anything, derives a new receipt's keys (crypto/FORMAT.md section 6), and hands answers.json and
 *   every attachment to upload.js, which seals and sends them; shows the receipt only once the server has
 *   answered that it stored everything. On an error the form stays filled, so nothing typed is lost;
 * - shows "add another person", which copies a person block (plain JavaScript, no WebAssembly needed).
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In a page it defines
 * globalThis.SoriSubmit (status.js enhances the follow-up form it inserts with it) and starts; in Node it
 * exports its pure helpers for tests/js/submit-size.test.mjs.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) {
    module.exports = factory(require('./upload.js'));
  } else {
    root.SoriSubmit = factory(root.SoriUpload);
    if (typeof document !== 'undefined') root.SoriSubmit.start(document);
  }
})(typeof globalThis !== 'undefined' ? globalThis : this, function (upload) {
  'use strict';

  const { SubmitError, RecipientsChanged, sendEnvelope, yieldToBrowser } = upload;

  const ANSWERS_FORMAT = 'sori-answers/1';
  const RECEIPT_DIGITS = 16;
  // Fields that are not answers: the CSRF token, the form's one-time nonce and the key of a follow-up
  // (docs/source-intake.md).
  const NOT_ANSWERS = new Set(['csrf_token', 'form_nonce', 'follow_up_key']);
  // The date fields of each kind of "when" (core/answers.py WHEN_FIELDS): the other kinds' are dropped.
  const WHEN_FIELDS = {
    exact: ['when_date'],
    approximate: ['when_year', 'when_month', 'when_season'],
    range: ['when_from_year', 'when_from_month', 'when_to_year', 'when_to_month'],
    unknown: [],
  };
  // How long Send may wait for the browser's encryption before the source is offered the server path.
  const SLOW_READY_MS = 30000;
  // Fields that are a list even when only one box is ticked (core/answers.py MULTI_FIELDS).
  const LIST_FIELDS = new Set(['violations']);
  // core/answers.py accepts who-1-… to who-99-….
  const MAX_PEOPLE = 99;

  const utf8 = new TextEncoder();

  // ---- Pure helpers (also tested in Node) ---------------------------------------------------------

  /**
   * `count` uniformly random decimal digits. Bytes of 250 and above are thrown away (reject sampling):
   * taking every byte modulo 10 would make 0 to 5 more likely than 6 to 9.
   * @param {{getRandomValues: (a: Uint8Array) => Uint8Array}} random Web Crypto (or Node's webcrypto)
   * @param {number} [count]
   * @returns {string}
   */
  function drawDigits(random, count) {
    count = count === undefined ? RECEIPT_DIGITS : count;
    let digits = '';
    const bytes = new Uint8Array(count * 2);
    while (digits.length < count) {
      random.getRandomValues(bytes);
      for (let i = 0; i < bytes.length && digits.length < count; i++) {
        if (bytes[i] < 250) digits += String(bytes[i] % 10);
      }
    }
    return digits;
  }

  /** "1234567890123456" → "1234 5678 9012 3456", the way a receipt is written down. */
  function formatReceipt(digits) {
    return digits.replace(/(\d{4})(?=\d)/g, '$1 ');
  }

  // ---- The testimony form -------------------------------------------------------------------------

  /**
   * The answers part (docs/source-intake.md, "The envelope of a submission"): every non-empty text field
   * by name, `violations` as a list; files are parts of their own and not listed here. Built as
   * core/answers.py builds it on the server path: a value of only white space counts as empty, and a
   * single-valued field given twice keeps its last value.
   * @param {HTMLFormElement} form
   * @param {string} lang
   */
  function buildAnswers(form, lang) {
    const fields = {};
    const FormDataClass = form.ownerDocument.defaultView.FormData;
    for (const [name, value] of new FormDataClass(form)) {
      if (typeof value !== 'string' || NOT_ANSWERS.has(name) || value.trim() === '') continue;
      if (LIST_FIELDS.has(name)) {
        fields[name] = (fields[name] || []).concat([value]);
      } else {
        fields[name] = value;
      }
    }
    const chosen = Object.prototype.hasOwnProperty.call(WHEN_FIELDS, fields.when_kind) ? WHEN_FIELDS[fields.when_kind] : [];
    for (const kind of Object.keys(WHEN_FIELDS)) {
      for (const name of WHEN_FIELDS[kind]) if (!chosen.includes(name)) delete fields[name];
    }
    return { format: ANSWERS_FORMAT, lang, path: 'browser', fields };
  }

  /** The recipients' public keys listed in a form (or in a page fetched again), parsed and deduplicated. */
  function recipientKeys(sori, element) {
    let texts;
    try {
      texts = JSON.parse(element.getAttribute('data-recipients') || '[]');
    } catch (_) {
      throw new SubmitError('failed', 'data-recipients is not JSON');
    }
    if (!Array.isArray(texts)) throw new SubmitError('failed', 'data-recipients is not a list');
    const keys = [];
    const seen = new Set();
    for (const text of texts) {
      const key = sori.parsePublicKey(text);
      if (!seen.has(key.text)) {
        seen.add(key.text);
        keys.push(key);
      }
    }
    if (keys.length === 0) throw new SubmitError('no-recipients', 'no recipient key in the form');
    return keys;
  }

  /** The form's recipients as the server lists them now (after a 409 recipients_changed). */
  async function freshRecipients(sori, doc, form) {
    const url = new URL('/submit', doc.baseURI);
    url.searchParams.set('lang', doc.documentElement.lang || 'ko');
    const response = await fetch(url.href, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
    if (!response.ok) throw new SubmitError('failed', 'could not fetch the form again: ' + response.status);
    const page = new (doc.defaultView.DOMParser)().parseFromString(await response.text(), 'text/html');
    const fresh = page.querySelector('form[data-recipients]');
    if (!fresh) throw new SubmitError('failed', 'the fetched form has no data-recipients');
    form.setAttribute('data-recipients', fresh.getAttribute('data-recipients'));
    return recipientKeys(sori, fresh);
  }

  /** Progress bars and the messages of the testimony page. */
  function pageUi(doc, form) {
    const byId = (id) => doc.getElementById(id);
    const set = (bar, done, total) => {
      if (!bar) return;
      bar.max = 1;
      bar.value = total > 0 ? Math.min(1, done / total) : 1;
    };
    return {
      busy(on) {
        for (const button of form.querySelectorAll('button[type="submit"], input[type="submit"]')) {
          button.disabled = on;
        }
        const progress = byId('js-progress');
        if (progress && on) progress.hidden = false;
        if (on) {
          const error = byId('js-error');
          if (error) error.hidden = true;
        }
      },
      encrypted(done, total) { set(byId('encrypt-progress'), done, total); },
      uploaded(done, total) { set(byId('upload-progress'), done, total); },
      failed(error) {
        const kind = error instanceof SubmitError ? error.kind : 'failed';
        let message = form.getAttribute('data-msg-' + kind);
        if (kind === 'failed' && error.serverMessage) message = error.serverMessage;
        const box = byId('js-error');
        const text = byId('js-error-message');
        if (text) text.textContent = message || form.getAttribute('data-msg-failed') || '';
        if (box) box.hidden = false;
        const progress = byId('js-progress');
        if (progress) progress.hidden = true;
        if (box && box.scrollIntoView) box.scrollIntoView();
      },
      succeeded(digits) {
        // What the source wrote leaves the page: a page brought back from history must not show it.
        form.reset();
        form.hidden = true;
        const progress = byId('js-progress');
        if (progress) progress.hidden = true;
        const value = byId('receipt-value');
        if (value) {
          value.textContent = digits ? formatReceipt(digits) : '';
          value.hidden = !digits;
        }
        const receipt = byId('js-receipt');
        if (receipt) {
          receipt.hidden = false;
          if (receipt.scrollIntoView) receipt.scrollIntoView();
        }
      },
    };
  }

  /**
   * Takes over the testimony form's submit: encrypts here, uploads ciphertext, shows the receipt.
   * @param {Document} doc
   * @param {HTMLFormElement} form
   * @param {object} sodium ready libsodium.js, with argon2id
   */
  function enhanceTestimony(doc, form, sodium) {
    const win = doc.defaultView;
    const sori = win.SoriEnvelope.create(sodium);
    const ui = pageUi(doc, form);
    const notice = doc.getElementById('server-path-notice');
    if (notice) notice.hidden = true;
    // Says that this browser now encrypts (for styles and tests; the form works the same either way).
    form.setAttribute('data-enhanced', 'browser');
    let running = false;

    form.addEventListener('submit', (event) => {
      event.preventDefault();
      if (running || form.getAttribute('data-path') !== 'browser') return;
      running = true;
      ui.busy(true);
      submitTestimony(doc, form, sori, sodium, ui)
        .catch((error) => {
          if (win.console) win.console.error('Sori: the testimony was not sent', error);
          ui.failed(error);
        })
        .finally(() => {
          running = false;
          ui.busy(false);
        });
    });
  }

  /** One submission of the testimony form, from reading the fields to the receipt. */
  async function submitTestimony(doc, form, sori, sodium, ui) {
    // Let the page show the progress bars before the heavy steps start.
    await yieldToBrowser();
    // Hidden details leave the files here, before anything is sealed (attachments.js).
    const files = await doc.defaultView.SoriAttachments.parts(doc.defaultView, form);
    const answers = buildAnswers(form, doc.documentElement.lang || 'ko');
    const followUpInput = form.querySelector('input[name="follow_up_key"]');
    const followUpKey = followUpInput && followUpInput.value ? followUpInput.value : null;
    // Refused here, before anything is encrypted: the server cannot look inside what the browser seals.
    if (!followUpKey && !answers.fields.what_happened) throw new SubmitError('empty', 'nothing under what happened');
    if (followUpKey && Object.keys(answers.fields).length === 0 && files.length === 0) {
      throw new SubmitError('empty-addition', 'nothing to add');
    }
    const answersText = JSON.stringify(answers);
    const parts = [{ name: 'answers.json', type: 'application/json', data: answersText,
      size: utf8.encode(answersText).length }].concat(files);

    const nonceInput = form.querySelector('input[name="form_nonce"]');
    const formNonce = nonceInput ? nonceInput.value : '';
    let digits = null;
    let claim;
    if (followUpKey) {
      claim = { follow_up_key: followUpKey, form_nonce: formNonce };
    } else {
      const salt = form.getAttribute('data-receipt-salt');
      if (!salt) throw new SubmitError('failed', 'the form has no data-receipt-salt');
      digits = drawDigits(doc.defaultView.crypto);
      // Derived before anything is uploaded, so that a browser short of memory fails before the upload.
      // The lookup key and the public key go to the server; the receipt's secret and the source's secret
      // key never leave this page (crypto/FORMAT.md 6.2).
      const keys = sori.deriveReceipt(digits, sodium.from_base64(salt, sodium.base64_variants.URLSAFE_NO_PADDING));
      claim = {
        receipt_key: sodium.to_base64(keys.lookupKey, sodium.base64_variants.URLSAFE_NO_PADDING),
        source_key: sori.publicKeyFromRaw(keys.identity.publicKey).text,
        form_nonce: formNonce,
      };
    }

    let keys = recipientKeys(sori, form);
    try {
      await sendEnvelope({ doc, form, sori, ui }, keys, parts, claim);
    } catch (error) {
      if (!(error instanceof RecipientsChanged)) throw error;
      // A reviewer was added or revoked while the source was writing: seal again, once, to the new list.
      keys = await freshRecipients(sori, doc, form);
      try {
        await sendEnvelope({ doc, form, sori, ui }, keys, parts, claim);
      } catch (again) {
        if (again instanceof RecipientsChanged) throw new SubmitError('failed', 'recipients changed twice');
        throw again;
      }
    }
    ui.succeeded(digits);
  }

  // ---- "Add another person" -------------------------------------------------------------------------

  /**
   * Shows the "add another person" button and makes it copy the last person block with empty fields and
   * the next number (who-4-name, ...). Without JavaScript the three blocks of the page are all there is.
   */
  function enablePeople(doc, form) {
    const button = doc.getElementById('add-person');
    if (!button) return;
    const blocks = () => form.querySelectorAll('fieldset.person');
    if (blocks().length === 0) return;
    button.hidden = false;
    button.addEventListener('click', () => {
      const all = blocks();
      if (all.length >= MAX_PEOPLE) {
        button.hidden = true;
        return;
      }
      const last = all[all.length - 1];
      const number = all.length + 1;
      const copy = last.cloneNode(true);
      const renumber = (value) => value.replace(/who-\d+-/g, 'who-' + number + '-');
      for (const element of copy.querySelectorAll('[name], [id], [for], [aria-describedby], [aria-labelledby]')) {
        for (const attribute of ['name', 'id', 'for', 'aria-describedby', 'aria-labelledby']) {
          if (element.hasAttribute(attribute)) {
            element.setAttribute(attribute, renumber(element.getAttribute(attribute)));
          }
        }
        if ('value' in element && element.type !== 'checkbox' && element.type !== 'radio') element.value = '';
        if (element.type === 'checkbox' || element.type === 'radio') element.checked = false;
      }
      if (copy.id) copy.id = renumber(copy.id);
      // A legend such as "Person 3" takes the new number.
      const legend = copy.querySelector('legend');
      if (legend) legend.textContent = legend.textContent.replace(/\d+/, String(number));
      last.after(copy);
      const first = copy.querySelector('input, textarea');
      if (first) first.focus();
    });
  }

  // ---- Holding Send until the path is settled -------------------------------------------------------

  /**
   * Holds Send on a form from the moment this script runs until it is settled whether the browser
   * encrypts (data-path="browser") or the server must (data-path="server"). A Send pressed in between does
   * nothing: the testimony must never go to the server in plain text while the browser could still have
   * encrypted it. The page says that it is getting ready; after SLOW_READY_MS it also offers the server
   * path as the source's explicit choice (a stuck Tor circuit must not stop a testimony).
   * @returns {(path: 'browser'|'server', reason?: string) => void} settles the form's path, once
   */
  function holdSend(doc, form) {
    // Each form carries its own lines (a status page may hold two forms): looked up inside the form.
    const byId = (name) => form.querySelector('.' + name);
    const buttons = () => form.querySelectorAll('button[type="submit"], input[type="submit"]');
    form.setAttribute('data-path', 'preparing');
    for (const button of buttons()) button.disabled = true;
    // Enter in a text field submits a form whose Send is disabled in some browsers: refuse that too.
    form.addEventListener('submit', (event) => {
      if (form.getAttribute('data-path') === 'preparing') event.preventDefault();
    }, true);
    const preparing = byId('js-preparing');
    if (preparing) preparing.hidden = false;
    // The general notice (outside the form) is for pages without JavaScript; the form's own lines now say
    // what happens.
    const notice = doc.getElementById('server-path-notice');
    if (notice) notice.hidden = true;
    let settled = false;
    const slowTimer = doc.defaultView.setTimeout(() => {
      const slow = byId('js-slow');
      if (!settled && slow) slow.hidden = false;
    }, SLOW_READY_MS);
    const settle = (path, reason) => {
      if (settled) return;
      settled = true;
      doc.defaultView.clearTimeout(slowTimer);
      form.setAttribute('data-path', path);
      if (preparing) preparing.hidden = true;
      const slow = byId('js-slow');
      if (slow) slow.hidden = true;
      const serverPath = byId('js-server-path');
      // Said before anything is sent: this browser cannot encrypt, so the server will.
      if (serverPath) serverPath.hidden = !(path === 'server' && reason === 'unable');
      for (const button of buttons()) button.disabled = false;
    };
    const through = byId('js-send-through-server');
    if (through) through.addEventListener('click', () => settle('server', 'chosen'));
    return settle;
  }

  /**
   * Libsodium for this page, loaded once whichever form asks first (sodium-loader.js checks WebAssembly
   * before it loads anything); resolves to null when the browser cannot encrypt.
   * @param {Document} doc
   * @param {Element} carrier an element with data-sodium
   */
  function sodiumFor(doc, carrier) {
    const win = doc.defaultView;
    const loader = win.SoriLoader;
    if (!loader || !carrier || !carrier.hasAttribute('data-sodium')) return Promise.resolve(null);
    return loader.loadSodium(doc, carrier).catch((error) => {
      if (win.console) win.console.warn('Sori: browser encryption is off', error);
      return null;
    });
  }

  /**
   * Holds a testimony form's Send at once, then settles its path: the browser when libsodium loads, the
   * server otherwise, said on the page before anything is sent. Never throws.
   * @param {Document} doc
   * @param {HTMLFormElement} form
   */
  async function prepare(doc, form) {
    const settle = holdSend(doc, form);
    enablePeople(doc, form);
    const attachments = doc.defaultView.SoriAttachments;
    if (attachments) attachments.showFindings(doc, form);
    const sodium = await sodiumFor(doc, form);
    if (!sodium) return settle('server', 'unable');
    try {
      enhanceTestimony(doc, form, sodium);
      settle('browser');
    } catch (error) {
      if (doc.defaultView.console) doc.defaultView.console.warn('Sori: browser encryption is off', error);
      settle('server', 'unable');
    }
  }

  /**
   * Prepares the page's testimony form (new account or follow-up), if it has one.
   * @param {Document} doc
   */
  function start(doc) {
    const testimony = doc.getElementById('testimony');
    if (testimony) prepare(doc, testimony);
  }

  return Object.freeze({
    start,
    prepare,
    holdSend,
    sodiumFor,
    drawDigits,
    formatReceipt,
  });
});
