/*
 * sodium-loader.js: brings libsodium.js and sori-envelope.js into a page, each with its Subresource
 * Integrity, for the scripts that encrypt or decrypt in the browser: submit.js (sources), reviewer-read.js
 * and reviewer-keys.js (reviewers). A page loads this script first, through the `script` macro of
 * templates/_scripts.html, then its own script, which calls SoriLoader.loadSodium(document, element).
 *
 * Nothing is loaded unless WebAssembly really runs here: Tor Browser at "Safer" has JavaScript without
 * WebAssembly, and the pages must then keep working without the browser's cryptography (a source's form
 * posts to the server as usual). Whatever is missing, loadSodium answers null rather than half a library.
 *
 * One plain script, no build step, no inline code (the CSP forbids it). In a browser it defines
 * globalThis.SoriLoader; in Node it exports the same object.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SoriLoader = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  /**
   * Whether WebAssembly really runs here. Tor Browser at "Safer" removes the WebAssembly object; some
   * policies keep the object but refuse to compile, so the smallest valid module is instantiated too.
   * @returns {boolean}
   */
  function wasmWorks() {
    try {
      if (typeof WebAssembly !== 'object' || typeof WebAssembly.Module !== 'function') return false;
      const module = new WebAssembly.Module(new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
      return new WebAssembly.Instance(module) instanceof WebAssembly.Instance;
    } catch (_) {
      return false;
    }
  }

  /**
   * Adds one <script> with its Subresource Integrity and waits until it has run. Rejects when the browser
   * cannot load it or refuses it (an integrity mismatch). Scripts added one after another this way download
   * at the same time and still run in the order they were added.
   * @param {Document} doc
   * @param {{src: string, integrity: string}} entry
   * @returns {Promise<void>}
   */
  function loadScript(doc, entry) {
    return new Promise((resolve, reject) => {
      const script = doc.createElement('script');
      script.src = entry.src;
      script.integrity = entry.integrity;
      script.crossOrigin = 'anonymous';
      // Dynamically added scripts are async by default: not async, they run in the order they were added,
      // while the browser fetches them all at once (one round trip over Tor instead of one each).
      script.async = false;
      script.addEventListener('load', () => resolve());
      script.addEventListener('error', () => reject(new Error('could not load ' + entry.src)));
      doc.head.appendChild(script);
    });
  }

  /**
   * Loads the scripts of an element's data-sodium attribute (JSON [{src, integrity}, ...]: libsodium.js
   * as scripts/build-sodium.mjs builds it, then sori-envelope.js) in order, and returns the ready
   * libsodium. Returns null, loading nothing, when WebAssembly does not run or the attribute is missing or
   * malformed; null too when the scripts ran but libsodium, its argon2id (crypto_pwhash) or SoriEnvelope
   * are not there. Rejects when a script cannot be loaded.
   * @param {Document} doc
   * @param {Element} element carries data-sodium
   * @returns {Promise<object|null>} libsodium.js (libsodium-wrappers' API), ready; window.SoriEnvelope is
   *   then defined
   */
  function loadSodium(doc, element) {
    // Once per page, whichever of its scripts asks first: loading twice would add every script twice.
    if (!loading.has(doc)) loading.set(doc, load(doc, element));
    return loading.get(doc);
  }

  const loading = new WeakMap();

  async function load(doc, element) {
    if (!wasmWorks()) return null;
    let entries;
    try {
      entries = JSON.parse(element.getAttribute('data-sodium') || 'null');
    } catch (_) {
      return null;
    }
    if (!Array.isArray(entries) || entries.length === 0) return null;
    for (const entry of entries) {
      if (!entry || typeof entry.src !== 'string' || typeof entry.integrity !== 'string') return null;
    }
    await Promise.all(entries.map((entry) => loadScript(doc, entry)));
    const win = doc.defaultView;
    const sodium = win.sodium;
    if (!sodium || !sodium.ready) return null;
    await sodium.ready;
    // Receipts and key passphrases need argon2id, which libsodium.js's standard (not sumo) build lacks.
    if (typeof sodium.crypto_pwhash !== 'function') return null;
    if (!(win.SoriEnvelope && typeof win.SoriEnvelope.create === 'function')) return null;
    return sodium;
  }

  // Start at once, as soon as this script runs, for the element that carries data-sodium: over Tor every
  // round trip is half a second, and the page's own scripts, still arriving, would ask for it only later.
  // They get the same promise; a failure is theirs to handle, so it is not reported here.
  if (typeof document === 'object' && document && typeof document.querySelector === 'function') {
    const carrier = document.querySelector('[data-sodium]');
    if (carrier) loadSodium(document, carrier).catch(() => {});
  }

  return Object.freeze({ wasmWorks, loadScript, loadSodium });
});
