#!/usr/bin/env node
// The JavaScript envelope implementation as a command, so the Python tests can check that each side opens
// what the other writes (crypto/js/sori-envelope.js on libsodium-wrappers-sumo from node_modules).
//
// Usage, from the repository root:
//
//   node tests/js/interop-cli.mjs encrypt --recipient sori-pk1-... [--recipient ...] \
//        --part NAME:TYPE:PATH [--part ...] -o OUT
//       Writes one envelope with the parts in the order given. NAME and TYPE must not contain ':';
//       PATH may (it is everything after the second ':').
//
//   node tests/js/interop-cli.mjs decrypt --secret-key-hex HEX -o OUTDIR IN
//       Writes part i's bytes to OUTDIR/<i>.bin and prints [{"name", "type", "size"}, ...] on stdout.
//
// Exit status: 0 on success; 2 with the error code (FORMAT.md section 4) alone on stderr when the library
// refuses the input; 1 with a message for usage errors and anything else.
import { createRequire } from 'node:module';
import { openAsBlob, createReadStream } from 'node:fs';
import { mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const SoriEnvelope = require(path.join(ROOT, 'crypto/js/sori-envelope.js'));
const sodium = require('libsodium-wrappers-sumo');

class UsageError extends Error {}

function parseArgs(args) {
  const options = { recipient: [], part: [], positional: [] };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const flag = { '--recipient': 'recipient', '--part': 'part', '--secret-key-hex': 'secretKeyHex', '-o': 'out' }[arg];
    if (flag === undefined) {
      if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`);
      options.positional.push(arg);
      continue;
    }
    if (i + 1 >= args.length) throw new UsageError(`${arg} needs a value`);
    const value = args[++i];
    if (Array.isArray(options[flag])) options[flag].push(value);
    else options[flag] = value;
  }
  return options;
}

async function encrypt(sori, options) {
  if (options.recipient.length === 0 || options.part.length === 0 || !options.out) {
    throw new UsageError('encrypt needs --recipient, --part and -o');
  }
  const parts = [];
  for (const spec of options.part) {
    const match = /^([^:]+):([^:]+):(.+)$/.exec(spec);
    if (!match) throw new UsageError(`--part is NAME:TYPE:PATH, not ${spec}`);
    parts.push({ name: match[1], type: match[2], data: await openAsBlob(match[3]) });
  }
  const out = await open(options.out, 'w');
  try {
    await sori.encryptParts(options.recipient, parts, async (bytes) => { await out.write(bytes); });
  } finally {
    await out.close();
  }
}

async function decrypt(sori, options) {
  if (!options.secretKeyHex || !options.out || options.positional.length !== 1) {
    throw new UsageError('decrypt needs --secret-key-hex, -o OUTDIR and one input file');
  }
  if (!/^[0-9a-fA-F]{64}$/.test(options.secretKeyHex)) throw new UsageError('--secret-key-hex is 64 hex digits');
  const identity = sori.identityFromSecretKey(new Uint8Array(Buffer.from(options.secretKeyHex, 'hex')));
  await mkdir(options.out, { recursive: true });
  const reader = await sori.openEnvelope(createReadStream(options.positional[0]), { identity });
  const listing = [];
  let file = null;
  try {
    for await (const event of reader) {
      if (event.kind === 'part') {
        file = await open(path.join(options.out, `${event.index}.bin`), 'w');
        listing.push({ name: event.name, type: event.type, size: 0 });
      } else if (event.kind === 'data') {
        await file.write(event.bytes);
      } else {
        listing[event.index].size = event.size;
        await file.close();
        file = null;
      }
    }
  } finally {
    if (file) await file.close();
  }
  process.stdout.write(JSON.stringify(listing) + '\n');
}

async function main(argv) {
  await sodium.ready;
  const sori = SoriEnvelope.create(sodium);
  const [command, ...rest] = argv;
  const options = parseArgs(rest);
  if (command === 'encrypt') return encrypt(sori, options);
  if (command === 'decrypt') return decrypt(sori, options);
  throw new UsageError('usage: interop-cli.mjs encrypt|decrypt ... (see the top of this file)');
}

main(process.argv.slice(2)).catch((error) => {
  if (error instanceof SoriEnvelope.SoriCryptoError) {
    process.stderr.write(error.code + '\n');
    process.exit(2);
  }
  process.stderr.write((error instanceof UsageError ? 'usage error: ' : '') + (error.stack || error) + '\n');
  process.exit(1);
});
