/*
 * attachments.js: the source's files in the browser, before they are sealed. As soon as files are chosen it
 * shows what hidden details (place, device, time, names) they carry and will lose; when the account is
 * sent it removes them (metadata.js, the same cleaner the server uses) unless the source ticked "keep the
 * hidden details", and it describes what was done in the files part (files.json, core/answers.py), sealed
 * last so that reviewers know. A file that cannot be cleaned is sent as it is, and the source is told
 * before sending.
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In a page it defines
 * globalThis.SoriAttachments for submit.js; in Node it exports the same object (tests/js).
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SoriAttachments = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  const FILES_PART = 'files.json';
  const FILES_FORMAT = 'sori-files/1';
  const NAME_MAX_CHARS = 255;
  const FALLBACK_TYPE = 'application/octet-stream';

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

  /** The files chosen in a form's file inputs. */
  function chosen(form) {
    const files = [];
    for (const input of form.querySelectorAll('input[type="file"]')) {
      for (const file of input.files || []) files.push(file);
    }
    return files;
  }

  /** Whether the source chose to keep the hidden details. */
  function keeping(form) {
    const box = form.querySelector('input[name="keep_metadata"]');
    return Boolean(box && box.checked);
  }

  /**
   * The attachments as parts, cleaned unless the source keeps them as they are, followed by the files part
   * that says what was done; none at all when no file was chosen.
   * @param {Window} win
   * @param {HTMLFormElement} form
   * @returns {Promise<Array<{name: string, type: string, size: number, data: Blob|string}>>}
   */
  async function parts(win, form) {
    const keep = keeping(form);
    const out = [];
    const described = [];
    const files = chosen(form);
    for (let i = 0; i < files.length; i++) {
      const name = partName(files[i].name, i + 1);
      let data = files[i];
      if (keep) {
        described.push({ name, kept: true });
      } else {
        const cleaned = await win.SoriMetadata.clean(files[i]);
        data = cleaned.blob;
        described.push({ name, kind: cleaned.kind, removed: cleaned.removed, complete: cleaned.complete });
      }
      out.push({ name, type: partType(files[i].type), size: data.size, data });
    }
    if (out.length) {
      const text = JSON.stringify({ format: FILES_FORMAT, files: described });
      out.push({ name: FILES_PART, type: 'application/json', data: text, size: new TextEncoder().encode(text).length });
    }
    return out;
  }

  /**
   * One line per chosen file telling the source what will happen to its hidden details.
   * @param {object} report what SoriMetadata.inspect answered, or {kept: true}
   * @param {object} labels the translated words of the page (data-labels)
   */
  function describe(report, labels) {
    if (report.kept) return labels.kept;
    if (report.kind === null) return labels.unsupported;
    const found = report.removed.map((category) => labels[category] || category).join(', ');
    const words = found ? labels.found + ' ' + found : labels.nothing;
    return report.complete ? words : words + '; ' + labels.incomplete;
  }

  /**
   * Shows, whenever files are chosen or the "keep" box changes, what each file carries and will lose.
   * @param {Document} doc
   * @param {HTMLFormElement} form
   */
  function showFindings(doc, form) {
    const box = doc.getElementById('metadata-found');
    const list = doc.getElementById('metadata-found-list');
    if (!box || !list || !doc.defaultView.SoriMetadata) return;
    let labels = {};
    try {
      labels = JSON.parse(box.getAttribute('data-labels') || '{}');
    } catch (_) {
      return;
    }
    let round = 0;
    const update = async () => {
      const mine = ++round;
      const files = chosen(form);
      const keep = keeping(form);
      const lines = [];
      for (const file of files) {
        const report = keep ? { kept: true } : await doc.defaultView.SoriMetadata.inspect(file);
        lines.push(file.name + ': ' + describe(report, labels));
      }
      if (mine !== round) return; // the source changed the files meanwhile
      list.replaceChildren(...lines.map((line) => {
        const item = doc.createElement('li');
        item.textContent = line;
        return item;
      }));
      box.hidden = lines.length === 0;
    };
    for (const input of form.querySelectorAll('input[type="file"], input[name="keep_metadata"]')) {
      input.addEventListener('change', () => {
        update().catch(() => {
          box.hidden = true;
        });
      });
    }
  }

  return Object.freeze({ parts, showFindings, describe, partName, partType, FILES_PART });
});
