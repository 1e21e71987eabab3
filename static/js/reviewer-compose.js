/*
 * reviewer-compose.js: what a reviewer writes on a submission's page, sealed in the reviewer's own browser
 * before it leaves: a note for colleagues (to every vetted reviewer), or a message to the source (to them and
 * to the source's key, so that the source reads it with the receipt). Each .composer element names where
 * to POST (data-url), the part's name (data-part) and, for a message, the source's key (data-source-key).
 * A reply template an admin wrote is put into the message here, where it can be changed before sealing.
 *
 * One plain script, no build step, no inline code (the CSP forbids it); loaded after sodium-loader.js.
 */
(function (factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else if (typeof document !== 'undefined') factory().start(document);
})(function () {
  'use strict';

  function jsonAttribute(element, name, fallback) {
    try {
      const value = JSON.parse(element.getAttribute(name) || 'null');
      return value === null ? fallback : value;
    } catch (_) {
      return fallback;
    }
  }

  function createComposer(doc, root, sori) {
    const message = (name) => root.getAttribute('data-msg-' + name) || name;

    /**
     * Seals what a composer holds (a note, or a message to the source) to every active recipient, and to the
     * source's key when the composer names one, then POSTs the envelope to the composer's data-url.
     * @param {Element} composer a .composer element (data-url, data-part, data-source-key, data-msg-saved)
     */
    async function sendComposed(composer) {
      const textArea = composer.querySelector('.composer-text');
      const status = composer.querySelector('.composer-status');
      const button = composer.querySelector('.composer-send');
      const text = textArea.value;
      if (!text.trim()) return;
      button.disabled = true;
      try {
        const recipients = jsonAttribute(root, 'data-recipients', []);
        const sourceKey = composer.getAttribute('data-source-key');
        if (sourceKey) recipients.push(sourceKey);
        const pieces = [];
        const part = { name: composer.getAttribute('data-part'), type: 'text/plain; charset=utf-8', data: text };
        await sori.encryptParts(recipients, [part], async (bytes) => {
          pieces.push(bytes.slice());
        });
        const response = await fetch(composer.getAttribute('data-url'), {
          method: 'POST',
          credentials: 'same-origin',
          headers: {
            'Content-Type': 'application/octet-stream',
            'X-CSRFToken': doc.getElementById('reader-csrf').value,
            Accept: 'application/json',
          },
          body: new Blob(pieces),
        });
        if (response.status !== 201) {
          let answer = {};
          try {
            answer = await response.json();
          } catch (_) {
            answer = {};
          }
          status.textContent = response.status === 409 && !answer.message
            ? message('recipients-changed') : answer.message || message('failed');
          return;
        }
        textArea.value = '';
        status.textContent = composer.getAttribute('data-msg-saved') || '';
        doc.defaultView.location.reload();
      } catch (error) {
        status.textContent = error instanceof TypeError ? message('network') : message('failed');
      } finally {
        button.disabled = false;
      }
    }

    return { sendComposed };
  }

  async function start(doc) {
    const root = doc.getElementById('reader');
    const loader = doc.defaultView.SoriLoader;
    if (!root || !loader) return;
    let sodium = null;
    try {
      sodium = await loader.loadSodium(doc, root);
    } catch (_) {
      sodium = null;
    }
    if (!sodium) return;
    const composing = createComposer(doc, root, doc.defaultView.SoriEnvelope.create(sodium));
    for (const composer of doc.querySelectorAll('.composer')) {
      composer.querySelector('.composer-send').addEventListener('click', () => composing.sendComposed(composer));
      const template = composer.querySelector('.composer-template');
      if (template) {
        // A template's text goes into the message here, in the browser, where it can be changed before sealing.
        template.addEventListener('change', () => {
          const chosen = template.selectedOptions[0];
          const text = chosen && chosen.getAttribute('data-text');
          if (text) composer.querySelector('.composer-text').value = text;
        });
      }
    }
  }

  return { start };
});
