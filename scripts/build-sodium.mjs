// Builds the one libsodium.js file that Sori's pages load, from the npm packages package-lock.json pins.
//
//   node scripts/build-sodium.mjs [NODE_MODULES]      (NODE_MODULES: ./node_modules unless given)
//
// scripts/setup.sh runs it. It writes NODE_MODULES/.sori/libsodium.js: libsodium's own code, cut down
// mechanically, never rewritten:
//   1. libsodium-sumo's Emscripten glue without its wasm2js (asm.js) copy of the library, which runs only
//      where WebAssembly does not; Sori's pages load no cryptography there (static/js/sodium-loader.js);
//   2. libsodium-sumo's WebAssembly binary with every export Sori does not call removed, then the functions
//      nothing reaches any more (binaryen's remove-unused-module-elements, and no other pass: what is
//      kept is libsodium's code as its release compiled it), embedded in the glue as the release does;
//   3. libsodium-wrappers-sumo, unchanged, which gives the usual `sodium` API over it; a function whose
//      export was removed is simply absent from `sodium`.
// The whole file runs in a wrapper that hides CommonJS and AMD from both, so that it always defines
// globalThis.sodium: in a page, and in Node's tests, which thus check the very bytes browsers run.
//
// The output depends only on the pinned packages (binaryen included), so every host of one deployment
// serves the same bytes under the same Subresource Integrity. A package update that moves the text this
// script cuts at makes it stop with an error rather than write something untested.
import binaryen from 'binaryen';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const GLUE = 'libsodium-sumo/dist/modules-sumo/libsodium-sumo.js';
const WRAPPERS = 'libsodium-wrappers-sumo/dist/modules-sumo/libsodium-wrappers.js';
export const OUTPUT = '.sori/libsodium.js';

// The libsodium functions behind every `sodium.*` call of crypto/js/sori-envelope.js and static/js/*.js
// (tests/js/sodium-build.test.mjs checks that none is missing), and those libsodium-wrappers calls itself.
const KEEP = new Set([
  // Envelopes (crypto/FORMAT.md section 2): the body, and the file key sealed to each recipient.
  '_crypto_secretstream_xchacha20poly1305_init_push', '_crypto_secretstream_xchacha20poly1305_init_pull',
  '_crypto_secretstream_xchacha20poly1305_push', '_crypto_secretstream_xchacha20poly1305_pull',
  '_crypto_secretstream_xchacha20poly1305_keybytes', '_crypto_secretstream_xchacha20poly1305_headerbytes',
  '_crypto_secretstream_xchacha20poly1305_abytes',
  '_crypto_box_seal', '_crypto_box_seal_open', '_crypto_box_sealbytes', '_crypto_box_publickeybytes',
  '_crypto_box_secretkeybytes',
  // Keys, key ids and fingerprints (section 1), the receipt's keys (section 6).
  '_crypto_generichash', '_crypto_scalarmult', '_crypto_scalarmult_base', '_crypto_scalarmult_bytes',
  '_crypto_scalarmult_scalarbytes',
  // argon2id for receipts and identity files (sections 3 and 6), the identity file's AEAD.
  '_crypto_pwhash', '_crypto_pwhash_saltbytes', '_crypto_pwhash_alg_argon2id13',
  '_crypto_aead_xchacha20poly1305_ietf_encrypt', '_crypto_aead_xchacha20poly1305_ietf_decrypt',
  '_crypto_aead_xchacha20poly1305_ietf_keybytes', '_crypto_aead_xchacha20poly1305_ietf_npubbytes',
  '_crypto_aead_xchacha20poly1305_ietf_abytes',
  '_randombytes_buf', '_sodium_bin2base64', '_sodium_base642bin', '_sodium_hex2bin',
  // What the glue and the wrappers need to start: libsodium-wrappers checks a secretbox round trip.
  '_sodium_init', '_malloc', '_free', '_crypto_secretbox_easy', '_crypto_secretbox_open_easy',
  '_crypto_secretbox_keybytes', '_crypto_secretbox_noncebytes', '_crypto_secretbox_macbytes',
]);

class BuildError extends Error {}

/** The error for a glue that is not the release this script was written against. */
function unknownRelease(what) {
  return new BuildError(`${GLUE} is not the release this script knows (${what}): update this script`);
}

/** `text` with the one occurrence of `find` replaced; stops when there is not exactly one. */
function replaceOnce(text, find, replacement, what) {
  const at = text.indexOf(find);
  if (at < 0 || text.indexOf(find, at + 1) >= 0) {
    throw unknownRelease(what);
  }
  return text.slice(0, at) + replacement + text.slice(at + find.length);
}

/** The glue without its wasm2js fallback; `ready` then rejects with the real error if WebAssembly fails. */
function withoutWasm2js(glue) {
  const start = ',C.useBackupModule=function(){';
  const end = ';var g,C=void 0!==C?C:{}';
  const from = glue.indexOf(start);
  const to = glue.indexOf(end);
  if (from < 0 || to < from || glue.indexOf(start, from + 1) >= 0 || glue.indexOf(end, to + 1) >= 0) {
    throw unknownRelease('its wasm2js part');
  }
  const cut = glue.slice(0, from) + glue.slice(to);
  return replaceOnce(cut, '.catch(function(){return o.useBackupModule()})', '', 'the fallback to wasm2js');
}

/** The exports' minified names, mapped to libsodium's (`_crypto_box_seal`), as the glue assigns them. */
function exportNames(glue) {
  const names = new Map();
  for (const [, name, minified] of glue.matchAll(/C\.(_[a-z0-9_]+)=A\.([A-Za-z0-9_$]+)[,;]/g)) {
    names.set(minified, name);
  }
  const exported = new Set(names.values());
  for (const name of KEEP) {
    if (!exported.has(name)) throw new BuildError(`libsodium-sumo exports no ${name}`);
  }
  return names;
}

/** The WebAssembly binary with only the KEEP exports and what they reach; the dropped names. */
function pruned(wasm, names) {
  const module = binaryen.readBinary(wasm);
  const dropped = [];
  try {
    // The WebAssembly features libsodium.js's release uses: nothing newer may creep in.
    const { BulkMemory, BulkMemoryOpt, SignExt } = binaryen.Features;
    module.setFeatures(BulkMemory | BulkMemoryOpt | SignExt);
    if (!module.validate()) throw new BuildError(`${GLUE} uses WebAssembly features not expected here`);
    for (let i = module.getNumExports() - 1; i >= 0; i--) {
      const info = binaryen.getExportInfo(module.getExportByIndex(i));
      if (info.kind !== binaryen.ExternalFunction) continue; // the memory stays
      const name = names.get(info.name);
      if (name === undefined) throw new BuildError(`the glue does not name the export ${info.name}`);
      if (KEEP.has(name)) continue;
      module.removeExport(info.name);
      dropped.push([name, info.name]);
    }
    module.runPasses(['remove-unused-module-elements']);
    if (!module.validate()) throw new BuildError('the pruned WebAssembly module does not validate');
    return { wasm: module.emitBinary(), dropped };
  } finally {
    module.dispose();
  }
}

/** The release's WebAssembly binary as the glue embeds it: the base64 string literal and its text. */
function embeddedWasm(glue) {
  const literal = glue.match(/"(AGFzbQ[A-Za-z0-9+/]*={0,2})"/);
  if (!literal) throw new BuildError(`${GLUE} embeds no WebAssembly binary where expected`);
  return { literal: literal[0], base64: literal[1] };
}

/** The glue with `wasm` embedded in place of the release's binary, and no names for dropped exports. */
function withWasm(glue, wasm, dropped) {
  const release = embeddedWasm(glue);
  const before = release.base64.length;
  const encoded = Buffer.from(wasm).toString('base64');
  const after = encoded.length;
  // The release decodes its base64 with the lengths written out; they follow the new binary.
  let out = replaceOnce(glue,
    `i=${before},o=new Uint8Array(${(before / 4) * 3}-("="==A[${before - 2}])-("="==A[${before - 1}]))`,
    `i=${after},o=new Uint8Array(${(after / 4) * 3}-("="==A[${after - 2}])-("="==A[${after - 1}]))`,
    'its base64 decoder');
  out = replaceOnce(out, release.literal, `"${encoded}"`, 'its WebAssembly binary');
  for (const [name, minified] of dropped) {
    out = replaceOnce(out, `C.${name}=A.${minified},`, '', `the export ${name}`);
  }
  return out;
}

/** The text of NODE_MODULES/.sori/libsodium.js. */
export function build(nodeModules) {
  const read = (file) => fs.readFileSync(path.join(nodeModules, file), 'utf8');
  const version = (pkg) => JSON.parse(read(`${pkg}/package.json`)).version;
  const glue = withoutWasm2js(read(GLUE));
  const { wasm, dropped } = pruned(Buffer.from(embeddedWasm(glue).base64, 'base64'), exportNames(glue));
  const notice = read('libsodium-sumo/LICENSE').trim().split('\n').map((line) => ` * ${line}`.trimEnd());
  return [
    `/* Generated by scripts/build-sodium.mjs from libsodium-sumo ${version('libsodium-sumo')}, ` +
      `libsodium-wrappers-sumo ${version('libsodium-wrappers-sumo')} and binaryen ${version('binaryen')} ` +
      '(npm); not to be edited or committed. libsodium.js is under this licence:',
    ' *',
    ...notice,
    ' */',
    '(function (define, exports, module) {',
    withWasm(glue, wasm, dropped),
    ';',
    read(WRAPPERS),
    '}).call(globalThis);',
    '',
  ].join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const nodeModules = path.resolve(process.argv[2] || 'node_modules');
  try {
    const text = build(nodeModules);
    const output = path.join(nodeModules, OUTPUT);
    fs.mkdirSync(path.dirname(output), { recursive: true });
    // Written aside and renamed, so that a server never serves half a file.
    fs.writeFileSync(`${output}.tmp`, text);
    fs.renameSync(`${output}.tmp`, output);
  } catch (error) {
    if (!(error instanceof BuildError)) throw error;
    console.error(`build-sodium: ${error.message}`);
    process.exit(1);
  }
}
