// static/js/sodium-loader.js decides whether a page gets libsodium at all: it loads nothing when the
// page's data-sodium attribute is missing or malformed, or when WebAssembly does not run (Tor Browser at
// "Safer"), so that the page keeps its path without the browser's cryptography.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
const loader = require(path.join(ROOT, 'static/js/sodium-loader.js'));

/** A document that fails the test if anything tries to add a script to it. */
const untouchable = {
  createElement() {
    throw new Error('a script was added');
  },
};

/** An element whose data-sodium attribute is `value` (null: no attribute). */
function carrier(value) {
  return { getAttribute: (name) => (name === 'data-sodium' ? value : null) };
}

describe('sodium-loader', () => {
  it('sees that WebAssembly runs in Node', () => {
    assert.equal(loader.wasmWorks(), true);
  });

  it('loads nothing for a missing, empty or malformed data-sodium', async () => {
    for (const value of [null, '', '[]', '{', '{"src": "a.js"}', '[{"src": "a.js"}]', '[null]']) {
      assert.equal(await loader.loadSodium(untouchable, carrier(value)), null, String(value));
    }
  });

  it('loads nothing when WebAssembly is gone', async () => {
    const saved = globalThis.WebAssembly;
    try {
      delete globalThis.WebAssembly;
      assert.equal(loader.wasmWorks(), false);
      const entries = JSON.stringify([{ src: 'libsodium.js', integrity: 'sha384-x' }]);
      assert.equal(await loader.loadSodium(untouchable, carrier(entries)), null);
    } finally {
      globalThis.WebAssembly = saved;
    }
  });
});
