/*
 * submit.js: encrypts a testimony in the source's browser and uploads only ciphertext, so that on this path
 * the server never sees what the source wrote (docs/source-intake.md, "browser" path).
 *
 * Progressive enhancement, nothing more. The testimony form (#testimony, on /submit and, for a follow-up,
 * on /status) works without this script: it posts to the server, which encrypts in memory. This script
 * takes the form over only when everything the browser path needs is present and working (WebAssembly,
 * libsodium.js and sori-envelope.js loaded with their integrity checked, the recipients' keys): the page
 * loads sodium-loader.js first, and this script asks it for libsodium. Whenever something is missing it
 * leaves the form alone, and the normal post still works: Tor Browser at "Safer" (JavaScript without
 * WebAssembly) and "Safest" (no JavaScript) rely on that.
 *
 * What it does:
 * - builds answers.json from the fields, seals it and every attachment (read slice by slice, never whole)
 *   into one envelope for the recipients listed in the form, sends it in one request (POST
 *   /api/submissions) or, when large, in pieces (POST /api/uploads, PUT pieces, POST finish), and shows
 *   the receipt only once the server has answered that it stored everything. On an error the form stays
 *   filled, so nothing the source typed is lost;
 * - on the status page's receipt form (#receipt-form), sends argon2id of the typed receipt instead of the
 *   receipt itself;
 * - shows "add another person", which copies a person block (plain JavaScript, no WebAssembly needed).
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In Node it only exports its pure
 * helpers (envelope size, receipt digits, part names) for tests/js/submit-size.test.mjs.
 */
// In Node, only the pure helpers, for tests/js; in a page, start (the page loaded sodium-loader.js first).
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else if (typeof document !== 'undefined') factory().start(document);
})(function () {
  'use strict';

  // ---- Constants of crypto/FORMAT.md and docs/source-intake.md --------------------------------------

  const CHUNK = 65536;
  const ABYTES = 17;
  const LENGTH_BYTES = 4;
  const HEADER_FIXED = 34; // magic 8, version 1, n 1, stream header 24
  const STANZA_BYTES = 88;
  const NAME_MAX_CHARS = 255;
  const FALLBACK_TYPE = 'application/octet-stream';
  const ANSWERS_FORMAT = 'sori-answers/1';
  const RECEIPT_DIGITS = 16;
  // argon2id parameters of a receipt; the server derives with the same ones on its own path.
  const RECEIPT_OPSLIMIT = 3;
  const RECEIPT_MEMLIMIT = 32 * 1024 * 1024;
  const RECEIPT_KEY_BYTES = 32;
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
  // Tor circuits drop; a piece is tried this many times, waiting longer each time, before giving up.
  const PUT_ATTEMPTS = 6;
  const RETRY_BASE_MS = 1000;
  const RETRY_MAX_MS = 20000;
  // An envelope up to one upload piece goes in one request (docs/source-intake.md); the form may say otherwise.
  const SINGLE_REQUEST_BYTES = 8 * 1024 * 1024;
  // core/answers.py accepts who-1-… to who-99-….
  const MAX_PEOPLE = 99;

  const utf8 = new TextEncoder();

  // ---- Pure helpers (also tested in Node) ---------------------------------------------------------

  /**
   * The exact size in bytes of the envelope sori-envelope.js writes for these parts (FORMAT.md 2.2, 2.3):
   * the header, then per part a metadata chunk and its data chunks, each framed by a 4-byte length and
   * grown by the 17-byte authentication tag. The server needs the size before the first byte arrives.
   * @param {number} recipientCount distinct recipient keys (the writer writes a repeated key once)
   * @param {Array<{name: string, type: string, size: number}>} parts
   * @returns {number}
   */
  function envelopeSize(recipientCount, parts) {
    let total = HEADER_FIXED + STANZA_BYTES * recipientCount;
    for (const part of parts) {
      // The writer's own metadata encoding: JSON.stringify of exactly {name, type}, in that order, UTF-8.
      total += LENGTH_BYTES + ABYTES + utf8.encode(JSON.stringify({ name: part.name, type: part.type })).length;
      // An empty part is one empty chunk; otherwise full 64 KiB chunks and one last, shorter or full.
      const chunks = part.size === 0 ? 1 : Math.ceil(part.size / CHUNK);
      total += chunks * (LENGTH_BYTES + ABYTES) + part.size;
    }
    return total;
  }

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

  /**
   * A part name the envelope accepts (1 to 255 characters, counted as code points as FORMAT.md does):
   * a longer file name loses characters from the middle of its stem, keeping its extension.
   * @param {string} name
   * @param {number} index 1-based position among the attachments, for a file without a name
   */
  function partName(name, index) {
    const chars = Array.from(name || '');
    if (chars.length === 0) return 'attachment-' + index;
    if (chars.length <= NAME_MAX_CHARS) return name;
    const dot = name.lastIndexOf('.');
    const ext = dot > 0 ? Array.from(name.slice(dot)) : [];
    const keep = ext.length < 32 ? ext : [];
    return chars.slice(0, NAME_MAX_CHARS - keep.length).join('') + keep.join('');
  }

  /** A part type the envelope accepts: the browser's media type, or application/octet-stream. */
  function partType(type) {
    return type && Array.from(type).length <= NAME_MAX_CHARS ? type : FALLBACK_TYPE;
  }

  // ---- Errors ------------------------------------------------------------------------------------

  /** A failure the source is told about; `kind` picks the translated data-msg-* text of the form. */
  class SubmitError extends Error {
    /**
     * @param {'failed'|'too-large'|'no-recipients'|'offline'|'expired'|'empty'|'empty-addition'} kind
     * @param {string} detail for the console; never shown as the message
     * @param {string} [serverMessage] a translated message from the server, shown for kind 'failed'
     */
    constructor(kind, detail, serverMessage) {
      super(detail);
      this.name = 'SubmitError';
      this.kind = kind;
      this.serverMessage = serverMessage;
    }
  }

  /** The recipients changed between loading the form and finishing: encrypt again for the new ones. */
  class RecipientsChanged extends Error {}

  // ---- Browser plumbing --------------------------------------------------------------------------

  /** Lets the browser paint and handle input before the next piece of work. */
  function yieldToBrowser() {
    return new Promise((resolve) => setTimeout(resolve, 0));
  }

  /** Resolves after `ms` milliseconds (the pause between retries). */
  function sleep(ms) {
    return new Promise((resolve) => setTimeout(resolve, ms));
  }

  /**
   * receipt_key = argon2id(the 16 digits as ASCII, the instance's salt), base64url without padding
   * (docs/source-intake.md, "Receipts"). Takes a fraction of a second and 64 MiB.
   * @param {object} sodium ready libsodium-wrappers-sumo
   * @param {string} digits
   * @param {string} saltText base64url of 16 bytes
   */
  function deriveReceiptKey(sodium, digits, saltText) {
    const salt = sodium.from_base64(saltText, sodium.base64_variants.URLSAFE_NO_PADDING);
    if (salt.length !== sodium.crypto_pwhash_SALTBYTES) throw new Error('the receipt salt is not 16 bytes');
    const key = sodium.crypto_pwhash(RECEIPT_KEY_BYTES, utf8.encode(digits), salt, RECEIPT_OPSLIMIT,
      RECEIPT_MEMLIMIT, sodium.crypto_pwhash_ALG_ARGON2ID13);
    return sodium.to_base64(key, sodium.base64_variants.URLSAFE_NO_PADDING);
  }

  /** The value of the form's CSRF token input. */
  function csrfToken(form) {
    const input = form.querySelector('input[name="csrf_token"]');
    return input ? input.value : '';
  }

  /**
   * One JSON request to the upload API. Network failures reject with a TypeError (fetch's own).
   * @returns {Promise<{status: number, body: object}>}
   */
  async function requestJson(url, method, csrf, payload) {
    const response = await fetch(url, {
      method,
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'X-CSRFToken': csrf, Accept: 'application/json' },
      body: JSON.stringify(payload),
    });
    return { status: response.status, body: await jsonBody(response) };
  }

  async function jsonBody(response) {
    try {
      return await response.json();
    } catch (_) {
      return {}; // an HTML error page from a proxy, or nothing at all
    }
  }

  /** A SubmitError for an error answer of the upload API. */
  function apiError(status, body, step) {
    const code = body && body.error;
    const message = body && typeof body.message === 'string' ? body.message : undefined;
    if (status === 413 || code === 'too_large') return new SubmitError('too-large', step + ': ' + status, message);
    if (code === 'no_recipients') return new SubmitError('no-recipients', step + ': no_recipients', message);
    return new SubmitError('failed', step + ': ' + status + ' ' + (code || ''), message);
  }

  // ---- The upload ----------------------------------------------------------------------------------

  /**
   * Sends bytes with XMLHttpRequest rather than fetch, because only XHR reports upload progress: over Tor
   * an 8 MiB piece can take minutes, and a bar that does not move looks like a hang. Rejects with a
   * TypeError when no answer comes (a dropped connection), as fetch does.
   * @param {string} method
   * @param {string} url
   * @param {Object<string, string>} headers
   * @param {Uint8Array} body
   * @param {(sent: number) => void} onSent bytes of `body` sent so far
   * @returns {Promise<{status: number, body: object}>}
   */
  function sendBytes(method, url, headers, body, onSent) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      xhr.setRequestHeader('Accept', 'application/json');
      xhr.upload.addEventListener('progress', (event) => onSent(event.loaded));
      xhr.addEventListener('load', () => {
        let parsed = {};
        try {
          parsed = JSON.parse(xhr.responseText);
        } catch (_) {
          // an HTML error page from a proxy: the status says enough
        }
        resolve({ status: xhr.status, body: parsed || {} });
      });
      const dropped = () => reject(new TypeError('the connection dropped'));
      xhr.addEventListener('error', dropped);
      xhr.addEventListener('abort', dropped);
      xhr.addEventListener('timeout', dropped);
      xhr.send(body);
    });
  }

  /** How long to wait before try number `attempt` + 1: 1 s, 2 s, 4 s… up to 20 s. */
  function backoff(attempt) {
    return sleep(Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** (attempt - 1)));
  }

  /**
   * Collects the envelope's bytes into pieces of `pieceBytes` and PUTs each piece, waiting for the server
   * before accepting more: at most one piece is held in memory, and a slow connection slows encryption
   * down instead of filling memory.
   */
  class PieceUploader {
    /**
     * @param {string} url PUT address of this upload
     * @param {string} csrf
     * @param {number} pieceBytes
     * @param {(received: number) => void} onUploaded
     */
    constructor(url, csrf, pieceBytes, onUploaded) {
      this.url = url;
      this.csrf = csrf;
      this.piece = new Uint8Array(pieceBytes);
      this.fill = 0;
      this.offset = 0; // bytes of the envelope the server has confirmed
      this.onUploaded = onUploaded;
      this.sink = this.sink.bind(this);
    }

    /** The sink of encryptParts: copies bytes into the piece, sending each piece as it fills up. */
    async sink(bytes) {
      let at = 0;
      while (at < bytes.length) {
        const take = Math.min(bytes.length - at, this.piece.length - this.fill);
        this.piece.set(bytes.subarray(at, at + take), this.fill);
        this.fill += take;
        at += take;
        if (this.fill === this.piece.length) await this.flush();
      }
    }

    /** Sends what is in hand (the last, shorter piece once the envelope is complete). */
    async flush() {
      if (this.fill === 0) return;
      await this.put(this.piece.subarray(0, this.fill), this.offset);
      this.offset += this.fill;
      this.fill = 0;
      await yieldToBrowser();
    }

    /**
     * PUTs `bytes` at envelope offset `start` until the server has all of them. A dropped connection or a
     * server error is retried with growing pauses. Before a retry, an empty PUT asks the server how much
     * it holds (it answers 200 when the offset is right, or 409 "offset" with what it has): a piece whose
     * answer was lost is then not sent again, which over Tor saves minutes.
     */
    async put(bytes, start) {
      let sent = 0;
      let failures = 0;
      let conflicts = 0;
      let probe = false;
      while (sent < bytes.length) {
        let status = 0;
        let body = {};
        const at = start + sent;
        const payload = probe ? bytes.subarray(0, 0) : bytes.subarray(sent);
        try {
          ({ status, body } = await sendBytes('PUT', this.url,
            { 'X-CSRFToken': this.csrf, 'X-Upload-Offset': String(at) }, payload,
            (n) => this.onUploaded(at + n)));
        } catch (_) {
          status = 0; // no answer: the connection dropped
        }
        const received = body && Number.isSafeInteger(body.received) ? body.received : -1;
        if (status === 200 && received >= at && received <= start + bytes.length) {
          if (received > at) failures = 0; // progress, not just an answered probe
          probe = false;
          sent = received - start;
          this.onUploaded(received);
          continue;
        }
        if (status === 409 && body.error === 'offset' && received >= start && received <= start + bytes.length &&
            conflicts < PUT_ATTEMPTS) {
          // The server has a different amount of this piece than we thought: go on from there.
          conflicts += 1;
          probe = false;
          sent = received - start;
          this.onUploaded(received);
          continue;
        }
        if (status === 409 && body.error === 'offset') {
          // The server lost bytes we no longer hold (or has more than we sent): this upload cannot go on.
          throw new SubmitError('failed', 'upload: the server has ' + received + ' bytes, expected ' + at);
        }
        const transient = status === 0 || status === 408 || status === 429 || status >= 500;
        if (!transient) throw apiError(status, body, 'upload');
        failures += 1;
        if (failures >= PUT_ATTEMPTS) {
          throw new SubmitError(status === 0 ? 'offline' : 'failed', 'upload: gave up after ' + failures + ' tries');
        }
        probe = true;
        await backoff(failures);
      }
    }
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

  /** The attachments chosen in the form's file inputs, with the names and types they go under. */
  function chosenFiles(form) {
    const files = [];
    for (const input of form.querySelectorAll('input[type="file"]')) {
      for (const file of input.files || []) files.push(file);
    }
    return files.map((file, i) => ({
      name: partName(file.name, i + 1),
      type: partType(file.type),
      size: file.size,
      data: file,
    }));
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

  /**
   * Encrypts and sends one envelope: in one request when it fits in one piece (most accounts: one round
   * trip over Tor), else in pieces. Throws RecipientsChanged when the server says the keys are no longer
   * the current ones (nothing was stored then), SubmitError otherwise.
   * @param {{doc: Document, form: HTMLFormElement, sori: object, ui: object}} ctx
   * @param {Array<{raw: Uint8Array}>} keys distinct recipient keys
   * @param {Array<{name: string, type: string, size: number, data: Blob|string}>} parts
   * @param {{receipt_key?: string, follow_up_key?: string}} claim what the envelope is for
   */
  async function sendEnvelope(ctx, keys, parts, claim) {
    const { form } = ctx;
    const size = envelopeSize(keys.length, parts);
    const maxBytes = Number(form.getAttribute('data-max-bytes'));
    if (maxBytes > 0 && size > maxBytes) throw new SubmitError('too-large', 'envelope of ' + size + ' bytes');
    const single = Number(form.getAttribute('data-single-max-bytes')) || SINGLE_REQUEST_BYTES;
    ctx.ui.encrypted(0, 1);
    ctx.ui.uploaded(0, size);
    if (size <= single) await sendWhole(ctx, keys, parts, claim, size);
    else await sendInPieces(ctx, keys, parts, claim, size);
  }

  /** POST /api/submissions: the whole envelope, encrypted into memory first (at most one piece). */
  async function sendWhole(ctx, keys, parts, claim, size) {
    const { doc, form, sori, ui } = ctx;
    const envelope = new Uint8Array(size);
    let filled = 0;
    const sink = async (bytes) => {
      if (filled + bytes.length > size) throw new SubmitError('failed', 'the envelope outgrew its computed size');
      envelope.set(bytes, filled);
      filled += bytes.length;
    };
    await sori.encryptParts(keys, parts, sink, (done, total) => ui.encrypted(done, total));
    if (filled !== size) throw new SubmitError('failed', 'envelope is ' + filled + ' bytes, computed ' + size);
    await yieldToBrowser();
    const url = form.getAttribute('data-submission-url') ||
      siblingAddress(doc, form.getAttribute('data-upload-url') || '/api/uploads', 'submissions');
    const headers = { 'X-CSRFToken': csrfToken(form), 'X-Form-Nonce': claim.form_nonce };
    if (claim.follow_up_key) headers['X-Follow-Up-Key'] = claim.follow_up_key;
    else headers['X-Receipt-Key'] = claim.receipt_key;
    await finalRequest(ctx, claim, () => sendBytes('POST', url, headers, envelope, (n) => ui.uploaded(n, size)));
    ui.uploaded(size, size);
  }

  /** POST /api/uploads, PUT each piece as encryption fills it, POST finish. */
  async function sendInPieces(ctx, keys, parts, claim, size) {
    const { doc, form, sori, ui } = ctx;
    const csrf = csrfToken(form);
    const uploadUrl = form.getAttribute('data-upload-url') || '/api/uploads';
    let created;
    try {
      created = await requestJson(uploadUrl, 'POST', csrf, { size });
    } catch (_) {
      throw new SubmitError('offline', 'could not start the upload');
    }
    const id = created.body && created.body.id;
    if (created.status !== 201 || (typeof id !== 'string' && typeof id !== 'number') ||
        !(created.body.piece_bytes > 0)) {
      throw apiError(created.status, created.body, 'start');
    }
    const uploader = new PieceUploader(uploadAddress(doc, uploadUrl, String(id)), csrf, created.body.piece_bytes,
      (received) => ui.uploaded(received, size));
    const result = await sori.encryptParts(keys, parts, uploader.sink, (done, total) => ui.encrypted(done, total));
    await uploader.flush();
    if (result.length !== size || uploader.offset !== size) {
      // Would be refused by the server anyway; say what happened instead of a generic 400.
      throw new SubmitError('failed', 'envelope is ' + result.length + ' bytes, announced ' + size);
    }
    const finishUrl = uploadAddress(doc, uploadUrl, String(id), 'finish');
    await finalRequest(ctx, claim, () => requestJson(finishUrl, 'POST', csrf, claim));
  }

  /**
   * The request that stores the envelope (POST /api/submissions, or finish), retried when no answer
   * comes. The form's nonce is spent in the same transaction as the envelope's row (core/form_nonces.py),
   * so after a lost answer the server's "expired" means this very envelope was stored: a source is never
   * shown an error for an account that was in fact kept. "expired" with no answer lost means the form was
   * sent before (a page brought back from history): nothing is stored again.
   * @param {() => Promise<{status: number, body: object}>} send
   */
  async function finalRequest(ctx, claim, send) {
    let answerLost = false;
    for (let attempt = 1; ; attempt++) {
      let answer = null;
      try {
        answer = await send();
      } catch (_) {
        answerLost = true;
      }
      if (answer && answer.status === 201) return;
      if (answer && answer.status === 409 && answer.body.error === 'recipients_changed') {
        throw new RecipientsChanged();
      }
      if (answer && answer.status === 409 && answer.body.error === 'expired') {
        if (answerLost) return;
        throw new SubmitError('expired', 'this form was sent before');
      }
      const transient = !answer || answer.status >= 500 || answer.status === 408 || answer.status === 429;
      if (!transient) throw apiError(answer.status, answer.body, 'store');
      if (attempt >= PUT_ATTEMPTS) {
        throw new SubmitError(answer ? 'failed' : 'offline', 'could not store the envelope');
      }
      await backoff(attempt);
    }
  }

  /** The address `name` next to the upload URL's last segment (/api/uploads → /api/submissions), query kept. */
  function siblingAddress(doc, uploadUrl, name) {
    const url = new URL(uploadUrl, doc.baseURI);
    url.pathname = url.pathname.replace(/\/?[^/]*\/?$/, '/' + name);
    return url.href;
  }

  /**
   * The address of an upload (or of one of its actions) under data-upload-url. That URL may carry a query
   * (the page's ?lang=), which must stay at the end, after the path segments.
   */
  function uploadAddress(doc, uploadUrl, id, action) {
    const url = new URL(uploadUrl, doc.baseURI);
    url.pathname = url.pathname.replace(/\/$/, '') + '/' + encodeURIComponent(id) + (action ? '/' + action : '');
    return url.href;
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
   * @param {object} sodium ready libsodium-wrappers-sumo
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
    const files = chosenFiles(form);
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
      claim = { receipt_key: deriveReceiptKey(sodium, digits, salt), form_nonce: formNonce };
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

  // ---- Start ------------------------------------------------------------------------------------------

  /**
   * The 16 digits of a receipt as typed, or null. Full-width digits (a Korean input method may give them)
   * count as digits; white space and dashes between groups are allowed. Anything else is not a receipt and
   * is left to the server, which refuses it in the source's language and throttles guesses.
   * @param {string} typed
   * @returns {string|null}
   */
  function receiptDigits(typed) {
    const text = String(typed).normalize('NFKC');
    if (!/^[0-9\s-]*$/.test(text)) return null;
    const digits = text.replace(/[^0-9]/g, '');
    return digits.length === 16 ? digits : null;
  }

  /**
   * Makes the status page's receipt form (#receipt-form) send receipt_key instead of the receipt, so that
   * the receipt itself never reaches the server.
   * @param {HTMLFormElement} form
   * @param {object} sodium ready libsodium-wrappers-sumo
   */
  function enhanceReceipt(form, sodium) {
    const typed = form.querySelector('input[name="receipt"]');
    const hidden = form.querySelector('input[name="receipt_key"]');
    const salt = form.getAttribute('data-receipt-salt');
    if (!typed || !hidden || !salt) return;
    // Says that the receipt is now turned into its key here (for styles and tests).
    form.setAttribute('data-enhanced', 'browser');
    form.addEventListener('submit', (event) => {
      if (form.getAttribute('data-path') !== 'browser') return;
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
    const byId = (id) => doc.getElementById(id);
    const buttons = () => form.querySelectorAll('button[type="submit"], input[type="submit"]');
    form.setAttribute('data-path', 'preparing');
    for (const button of buttons()) button.disabled = true;
    // Enter in a text field submits a form whose Send is disabled in some browsers: refuse that too.
    form.addEventListener('submit', (event) => {
      if (form.getAttribute('data-path') === 'preparing') event.preventDefault();
    }, true);
    const preparing = byId('js-preparing');
    if (preparing) preparing.hidden = false;
    // The general notice is for pages without JavaScript; here the lines below say what happens.
    const notice = byId('server-path-notice');
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
   * Enhances the testimony form (new account or follow-up) and the receipt form, whichever the page has:
   * holds their Send at once, then settles the path (browser when libsodium loads, server otherwise, said
   * on the page). Never throws: a failure leaves the normal post in place, announced.
   * @param {Document} doc
   */
  function start(doc) {
    const testimony = doc.getElementById('testimony');
    const receipt = doc.getElementById('receipt-form');
    const forms = [testimony, receipt].filter(Boolean);
    const settles = forms.map((form) => holdSend(doc, form));
    const settleAll = (path, reason) => settles.forEach((settle) => settle(path, reason));
    const run = async () => {
      if (testimony) enablePeople(doc, testimony);
      const carrier = testimony || receipt;
      // sodium-loader.js, which the page loads first, checks WebAssembly before it loads anything.
      const loader = doc.defaultView.SoriLoader;
      if (!loader || !carrier || !carrier.hasAttribute('data-sodium')) return settleAll('server', 'unable');
      const sodium = await loader.loadSodium(doc, carrier);
      if (!sodium) return settleAll('server', 'unable');
      if (testimony) enhanceTestimony(doc, testimony, sodium);
      if (receipt) enhanceReceipt(receipt, sodium);
      settleAll('browser');
    };
    const go = () => run().catch((error) => {
      if (doc.defaultView.console) doc.defaultView.console.warn('Sori: browser encryption is off', error);
      settleAll('server', 'unable');
    });
    if (doc.readyState === 'loading') doc.addEventListener('DOMContentLoaded', go);
    else go();
  }

  return Object.freeze({
    start,
    receiptDigits,
    envelopeSize,
    drawDigits,
    formatReceipt,
    partName,
    partType,
  });
});
