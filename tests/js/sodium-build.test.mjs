// node_modules/.sori/libsodium.js, the libsodium.js that pages load: it is what scripts/build-sodium.mjs
// makes from the installed packages, with every function Sori's browser code calls and none it does not.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { build } from '../../scripts/build-sodium.mjs';
import { ROOT, SODIUM_BUILD, sodium } from './helpers.mjs';

/** Every `sodium.name` that crypto/js/ and static/js/ use. */
function namesSoriCalls() {
  const names = new Set();
  for (const dir of ['crypto/js', 'static/js']) {
    for (const file of fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.js'))) {
      const text = fs.readFileSync(path.join(ROOT, dir, file), 'utf8');
      for (const [, name] of text.matchAll(/(?<![\w-])sodium\.([A-Za-z_]\w*)/g)) names.add(name);
    }
  }
  return names;
}

describe('the libsodium.js build', () => {
  it('is what the build script makes from the installed packages (run scripts/setup.sh if not)', () => {
    const built = build(path.join(ROOT, 'node_modules'));
    assert.ok(fs.readFileSync(SODIUM_BUILD, 'utf8') === built, `${SODIUM_BUILD} is stale`);
  });

  it('has everything crypto/js and static/js call on sodium', () => {
    const names = namesSoriCalls();
    assert.ok(names.has('crypto_pwhash') && names.has('crypto_secretstream_xchacha20poly1305_push'));
    for (const name of names) assert.notEqual(sodium[name], undefined, `sodium.${name} is missing`);
  });

  it('carries neither the wasm2js fallback nor the functions Sori does not call', () => {
    const text = fs.readFileSync(SODIUM_BUILD, 'utf8');
    assert.ok(!text.includes('isWasm2js'));
    const unused = ['crypto_sign_keypair', 'crypto_pwhash_scryptsalsa208sha256', 'crypto_kx_keypair'];
    for (const name of unused) assert.equal(sodium[name], undefined, name);
  });
});
