// One file on purpose: one job (this page read with the reviewer's key); the unlocked key stays in its closure.
/*
 * reviewer-read.js: opens testimony and reviewer notes in the reviewer's own browser, and seals new notes,
 * so that the server only ever stores and serves ciphertext (DESIGN.md section 2, points 1, 2 and 7).
 *
 * On a submission page (templates/reviewer/inbox/submission.html) it:
 * - loads libsodium.js and sori-envelope.js from the #reader's data-sodium attribute, each with its
 *   Subresource Integrity, through sodium-loader.js (which the page loads first);
 * - on "Read", fetches the reviewer's wrapped identity (GET data-identity-url; a 401 "reauth" sends the
 *   reviewer to data-reauth-url and back), asks for the key passphrase once for this page, unlocks the
 *   identity and keeps only the unlocked identity in a variable of this script: never localStorage,
 *   sessionStorage, a cookie or a request;
 * - streams the envelope (GET data-url), opens it with the reviewer's own stanza or, for an envelope sealed
 *   before the key was vetted, with the file key a colleague granted (GET data-grant-url), shows
 *   answers.json as labelled text (textContent only, never HTML) and offers every attachment as a download
 *   built from its decrypted chunks;
 * - decrypts the notes the same way (reviewer-compose.js seals new notes and messages to the source);
 * - shows a reviewer's message to the source (message.txt) as text, and what hidden details were removed
 *   from the attachments (files.json).
 *
 * What the answers say, and which consent answers go to the records page, is reviewer-answers.js (loaded
 * before this script). One plain script, no build step, no inline code (the CSP forbids it).
 */
(function (factory) {
  if (typeof document !== 'undefined') factory().start(document);
})(function () {
  'use strict';

  const ANSWERS_PART = 'answers.json';
  // The one part of a reviewer's message to the source (core/conversation.py).
  const MESSAGE_PART = 'message.txt';
  // The files part: what hidden details were removed from the attachments (core/answers.py FILES_PART).
  const FILES_PART = 'files.json';
  // Envelopes larger than this show a progress bar while they are decrypted.
  const PROGRESS_FROM_BYTES = 512 * 1024;
  const utf8 = new TextDecoder('utf-8');

  // ---- Page helpers ----------------------------------------------------------------------------

  function jsonAttribute(element, name, fallback) {
    try {
      const value = JSON.parse(element.getAttribute(name) || 'null');
      return value === null ? fallback : value;
    } catch (_) {
      return fallback;
    }
  }

  // ---- The reader -----------------------------------------------------------------------------------

  function createReader(doc, root, sodium) {
    const sori = doc.defaultView.SoriEnvelope.create(sodium);
    const { answerRows, consentQuery, filesLines } = doc.defaultView.SoriAnswers;
    const labels = jsonAttribute(root, 'data-labels', {});
    const message = (name) => root.getAttribute('data-msg-' + name) || name;
    const errorBox = doc.getElementById('reader-error');
    const passForm = doc.getElementById('passphrase-form');
    const passInput = doc.getElementById('key-passphrase');
    const passWorking = doc.getElementById('passphrase-working');
    // The unlocked identity, for this page only. The passphrase itself is dropped as soon as it has
    // been used.
    let identity = null;
    let unlocking = null;

    function showError(text) {
      errorBox.textContent = text;
      errorBox.hidden = false;
    }

    function clearError() {
      errorBox.textContent = '';
      errorBox.hidden = true;
    }

    async function fetchIdentityFile() {
      const response = await fetch(root.getAttribute('data-identity-url'), {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
        cache: 'no-store',
      });
      const text = await response.text();
      if (response.status === 401) {
        let body = {};
        try {
          body = JSON.parse(text);
        } catch (_) {
          // not JSON: treat as a login problem below
        }
        // Re-authenticate, then come back here.
        doc.defaultView.location.assign(root.getAttribute('data-reauth-url'));
        throw new Error(body.error === 'reauth' ? 'reauth' : 'login');
      }
      if (!response.ok) throw new Error('identity ' + response.status);
      return text; // the identity file itself (crypto/FORMAT.md section 3)
    }

    function askPassphrase() {
      return new Promise((resolve) => {
        passForm.hidden = false;
        passInput.focus();
        const onSubmit = (event) => {
          event.preventDefault();
          const value = passInput.value;
          passInput.value = '';
          if (!value) return;
          passForm.removeEventListener('submit', onSubmit);
          resolve(value);
        };
        passForm.addEventListener('submit', onSubmit);
      });
    }

    /** The unlocked identity, asking for the passphrase only the first time. */
    function ensureIdentity() {
      if (identity) return Promise.resolve(identity);
      if (!unlocking) {
        unlocking = (async () => {
          const file = await fetchIdentityFile();
          for (;;) {
            let passphrase = await askPassphrase();
            passWorking.hidden = false;
            // Let the browser paint "Opening your key…" before argon2id takes the main thread.
            await new Promise((resolve) => setTimeout(resolve, 30));
            try {
              identity = sori.unwrapIdentity(file, passphrase);
              passphrase = null;
              passForm.hidden = true;
              passWorking.hidden = true;
              clearError();
              return identity;
            } catch (error) {
              passphrase = null;
              passWorking.hidden = true;
              if (error && error.code === 'wrong_passphrase') {
                showError(message('passphrase-wrong'));
                continue;
              }
              throw error;
            }
          }
        })().finally(() => {
          unlocking = null;
        });
      }
      return unlocking;
    }

    function ownKeyIdHex(id) {
      return sori.publicKeyFromRaw(id.publicKey).keyIdHex;
    }

    /** Options for openEnvelope: the own stanza when there is one, else the key a colleague granted. */
    async function openOptions(id, keyIds, envelopeId) {
      if (keyIds.includes(ownKeyIdHex(id))) return { identity: id };
      const url = root.getAttribute('data-grant-url').replace('{id}', encodeURIComponent(envelopeId));
      const response = await fetch(url, { credentials: 'same-origin', cache: 'no-store' });
      if (response.status === 404) throw Object.assign(new Error('no grant'), { code: 'no_access' });
      if (!response.ok) throw new Error('grant ' + response.status);
      const body = await response.json();
      const sealed = sodium.from_base64(body.sealed_key, sodium.base64_variants.URLSAFE_NO_PADDING);
      let fileKey;
      try {
        fileKey = sodium.crypto_box_seal_open(sealed, id.publicKey, id.secretKey);
      } catch (_) {
        throw Object.assign(new Error('grant does not open'), { code: 'tampered' });
      }
      return { fileKey };
    }

    /** The response body as an async iterable of Uint8Array, reporting bytes received. */
    async function* counted(response, onBytes) {
      const reader = response.body.getReader();
      let done = 0;
      try {
        for (;;) {
          const next = await reader.read();
          if (next.done) return;
          done += next.value.length;
          onBytes(done);
          yield next.value;
        }
      } finally {
        reader.releaseLock();
      }
    }

    function renderAnswers(container, bytes) {
      container.replaceChildren();
      let doc2 = null;
      try {
        doc2 = JSON.parse(utf8.decode(bytes));
      } catch (_) {
        doc2 = null;
      }
      if (doc2 && typeof doc2.lang === 'string' && /^[a-z]{2,3}$/.test(doc2.lang)) {
        container.setAttribute('lang', doc2.lang);
      }
      const list = doc.createElement('dl');
      if (!doc2 || typeof doc2.fields !== 'object') {
        // Not the answers format: the raw text, still as text.
        const dd = doc.createElement('dd');
        dd.textContent = utf8.decode(bytes);
        list.appendChild(dd);
      } else {
        offerConsent(consentQuery(doc2));
        for (const row of answerRows(doc2, labels)) {
          const dt = doc.createElement('dt');
          dt.textContent = row.label;
          list.appendChild(dt);
          for (const value of row.values) {
            const dd = doc.createElement('dd');
            dd.textContent = value;
            list.appendChild(dd);
          }
        }
      }
      container.appendChild(list);
      container.hidden = false;
    }

    // The link to the records page carries the consent answers just read, so that recording them there
    // starts from what the source said rather than from memory.
    function offerConsent(query) {
      const link = doc.getElementById('records-link');
      if (!link || !query) return;
      const base = link.getAttribute('href').split('?')[0];
      link.setAttribute('href', base + '?' + query);
    }

    function humanSize(n) {
      if (n >= 1024 * 1024) return (n / (1024 * 1024)).toFixed(1) + ' MB';
      if (n >= 1024) return (n / 1024).toFixed(1) + ' KB';
      return n + ' B';
    }

    /** The lines of a files part, or null when it is not one (an attachment named like it). */
    function filesReport(part) {
      try {
        return filesLines(JSON.parse(utf8.decode(joined(part))), labels.files);
      } catch (_) {
        return null;
      }
    }

    /** A part's chunks as one array. */
    function joined(part) {
      const all = new Uint8Array(part.size);
      let offset = 0;
      for (const c of part.chunks) {
        all.set(c, offset);
        offset += c.length;
      }
      return all;
    }

    async function readEnvelope(article) {
      const button = article.querySelector('.read-button');
      button.disabled = true;
      clearError();
      const answersBox = article.querySelector('.answers');
      const list = article.querySelector('.attachments');
      const progress = article.querySelector('.read-progress');
      const progressLabel = article.querySelector('.progress-label');
      const size = Number(article.getAttribute('data-size')) || 0;
      const urls = [];
      try {
        const id = await ensureIdentity();
        const keyIds = jsonAttribute(article, 'data-key-ids', []);
        const options = await openOptions(id, keyIds, article.getAttribute('data-envelope-id'));
        const response = await fetch(article.getAttribute('data-url'), { credentials: 'same-origin', cache: 'no-store' });
        if (!response.ok || !response.body) throw new Error('envelope ' + response.status);
        if (size >= PROGRESS_FROM_BYTES) progressLabel.hidden = false;
        const source = counted(response, (done) => {
          progress.value = Math.min(done, size);
        });
        const reader = await sori.openEnvelope(source, options);
        const pending = [];
        let current = null;
        for await (const event of reader) {
          if (event.kind === 'part') {
            current = { index: event.index, name: event.name, type: event.type, chunks: [], size: 0 };
          } else if (event.kind === 'data') {
            // Each chunk is a fresh view; keep a copy, the reader may reuse its buffers.
            current.chunks.push(event.bytes.slice());
            current.size += event.bytes.length;
          } else {
            if (current.index === 0 && current.name === MESSAGE_PART) {
              // A reviewer's message to the source: shown as text, never as HTML.
              answersBox.textContent = utf8.decode(joined(current));
              answersBox.classList.add('message-text');
              answersBox.hidden = false;
            } else if (current.index === 0 && current.name === ANSWERS_PART) {
              renderAnswers(answersBox, joined(current));
            } else {
              pending.push(current);
            }
            current = null;
          }
        }
        // The whole envelope authenticated: only now are the files offered. A last files part says what
        // hidden details were removed from them; it is shown, not offered as a file.
        const last = pending[pending.length - 1];
        const report = last && last.name === FILES_PART ? filesReport(last) : null;
        if (report) pending.pop();
        list.replaceChildren();
        for (const part of pending) {
          const blob = new Blob(part.chunks, { type: 'application/octet-stream' });
          part.chunks = null;
          const url = URL.createObjectURL(blob);
          urls.push(url);
          const item = doc.createElement('li');
          const link = doc.createElement('a');
          link.href = url;
          link.setAttribute('download', part.name);
          link.className = 'attachment';
          link.textContent = message('attachment') + ': ' + part.name;
          const meta = doc.createElement('span');
          meta.textContent = ' (' + part.type + ', ' + humanSize(part.size) + ')';
          item.append(link, meta);
          list.appendChild(item);
        }
        list.hidden = pending.length === 0;
        if (report) {
          const heading = doc.createElement('li');
          heading.className = 'files-report';
          heading.textContent = labels.files.heading;
          const lines = doc.createElement('ul');
          for (const line of report) {
            const item = doc.createElement('li');
            item.textContent = line;
            lines.appendChild(item);
          }
          heading.appendChild(lines);
          list.appendChild(heading);
          list.hidden = false;
        }
        progress.value = size;
        article.setAttribute('data-read', 'done');
      } catch (error) {
        for (const url of urls) URL.revokeObjectURL(url);
        answersBox.replaceChildren();
        answersBox.hidden = true;
        button.disabled = false;
        article.setAttribute('data-read', 'failed');
        if (error && error.message === 'reauth') return;
        if (error && error.code === 'no_access') showError(message('no-access'));
        else if (error instanceof TypeError) showError(message('network'));
        else showError(message('failed'));
      }
    }

    async function readNotes() {
      const button = doc.getElementById('notes-read');
      if (button) button.disabled = true;
      clearError();
      try {
        const id = await ensureIdentity();
        for (const item of doc.querySelectorAll('.note')) {
          const box = item.querySelector('.note-text');
          const response = await fetch(item.getAttribute('data-url'), { credentials: 'same-origin', cache: 'no-store' });
          if (!response.ok) throw new Error('note ' + response.status);
          const bytes = new Uint8Array(await response.arrayBuffer());
          try {
            const parts = await sori.decryptParts(bytes, { identity: id });
            box.textContent = parts.length ? utf8.decode(parts[0].data) : '';
          } catch (error) {
            if (!(error && error.code === 'no_matching_key')) throw error;
            box.textContent = message('note-unreadable');
          }
        }
      } catch (error) {
        if (button) button.disabled = false;
        if (error && error.message === 'reauth') return;
        showError(error instanceof TypeError ? message('network') : message('failed'));
      }
    }

    return { readEnvelope, readNotes };
  }

  async function start(doc) {
    const root = doc.getElementById('reader');
    if (!root) return;
    // sodium-loader.js, which the page loads first, checks WebAssembly before it loads anything.
    const loader = doc.defaultView.SoriLoader;
    let sodium = null;
    try {
      sodium = loader ? await loader.loadSodium(doc, root) : null;
    } catch (_) {
      sodium = null;
    }
    if (!sodium) return; // the notice about JavaScript and WebAssembly stays
    const reader = createReader(doc, root, sodium);
    const notice = doc.getElementById('reader-unavailable');
    if (notice) notice.hidden = true;
    for (const article of doc.querySelectorAll('.envelope')) {
      article.querySelector('.read-button').addEventListener('click', () => reader.readEnvelope(article));
    }
    const notesButton = doc.getElementById('notes-read');
    if (notesButton) notesButton.addEventListener('click', () => reader.readNotes());
    root.setAttribute('data-ready', 'true');
  }

  return { start };
});