/*
 * upload.js: gets a sealed envelope from the source's browser to the server over a slow, breaking connection
 * (docs/source-intake.md, "Upload protocol"): in one request when it fits in one piece, else in pieces that
 * resume where the server says it stands, and a final request retried until its answer is known. It never
 * sees plaintext: submit.js hands it the parts and the recipients, and libsodium.js seals them as they go.
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In a page it defines
 * globalThis.SoriUpload for submit.js; in Node it exports the same object (tests/js/submit-size.test.mjs).
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SoriUpload = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // ---- Constants of crypto/FORMAT.md and docs/source-intake.md --------------------------------------

  const CHUNK = 65536;
  const ABYTES = 17;
  const LENGTH_BYTES = 4;
  const HEADER_FIXED = 34; // magic 8, version 1, n 1, stream header 24
  const STANZA_BYTES = 88;
  // Tor circuits drop; a piece is tried this many times, waiting longer each time, before giving up.
  const PUT_ATTEMPTS = 6;
  const RETRY_BASE_MS = 1000;
  const RETRY_MAX_MS = 20000;
  // An envelope up to one upload piece goes in one request (docs/source-intake.md); the form may say otherwise.
  const SINGLE_REQUEST_BYTES = 8 * 1024 * 1024;

  const utf8 = new TextEncoder();

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

  // ---- One envelope -----------------------------------------------------------------------------------

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
    if (claim.follow_up_key) {
      headers['X-Follow-Up-Key'] = claim.follow_up_key;
    } else {
      headers['X-Receipt-Key'] = claim.receipt_key;
      headers['X-Source-Key'] = claim.source_key;
    }
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

  return Object.freeze({
    SubmitError,
    RecipientsChanged,
    envelopeSize,
    sendEnvelope,
    yieldToBrowser,
    csrfToken,
  });
});
