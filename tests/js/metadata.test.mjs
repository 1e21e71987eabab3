// static/js/metadata.js, the browser's metadata cleaner, against the server's (intake/metadata): the same
// bytes and the same report for every fixture, hostile and damaged file that tests/intake/metadata_fixtures.py
// makes (with exiftool, through the project's .venv), however the reads are cut; nothing in a file makes
// it throw; and a large file is cleaned as slices, never copied into memory.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const metadata = require(path.join(ROOT, 'static/js/metadata.js'));

let folder;
/** name -> {data, cleaned, report} as the Python cleaner made them. */
const expected = new Map();

before(() => {
  folder = fs.mkdtempSync(path.join(os.tmpdir(), 'sori-metadata-'));
  const made = spawnSync(path.join(ROOT, '.venv/bin/python'), ['-m', 'tests.intake.metadata_fixtures', folder], {
    cwd: ROOT,
    encoding: 'utf-8',
  });
  assert.equal(made.status, 0, 'making the fixtures failed (run scripts/setup.sh --test): ' + made.stderr);
  for (const name of fs.readdirSync(folder)) {
    if (name.endsWith('.clean') || name.endsWith('.json')) continue;
    expected.set(name, {
      data: fs.readFileSync(path.join(folder, name)),
      cleaned: fs.readFileSync(path.join(folder, name + '.clean')),
      report: JSON.parse(fs.readFileSync(path.join(folder, name + '.report.json'), 'utf-8')),
    });
  }
});

after(() => fs.rmSync(folder, { recursive: true, force: true }));

async function cleaned(data, options) {
  const result = await metadata.clean(new Blob([data]), options);
  const bytes = Buffer.from(await result.blob.arrayBuffer());
  const { kind, removed, complete, reason } = result;
  return { bytes, report: { kind, removed, complete, reason } };
}

/** A deterministic generator of pseudo-random bytes (xorshift32). */
function randomBytes(seed, size) {
  const out = new Uint8Array(size);
  let state = seed || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

const sound = (report) => !(report.reason || '').startsWith('internal error');

describe('metadata.js', () => {
  it('gives the bytes and the report that the server gives, for every fixture and damaged file', async () => {
    assert.ok(expected.size > 150, 'fixtures were made');
    for (const [name, { data, cleaned: want, report }] of expected) {
      const got = await cleaned(data);
      assert.ok(got.bytes.equals(want), name);
      assert.deepEqual(got.report, report, name);
    }
  });

  it('decides nothing from how many bytes a read answers', async () => {
    for (const [name, { data, cleaned: want }] of expected) {
      if (data.length > 12000) continue;
      for (const someMax of [1, 2, 7, 100]) assert.ok((await cleaned(data, { someMax })).bytes.equals(want), name);
    }
  });

  it('inspects without cleaning: the same report', async () => {
    for (const name of ['photo.jpg', 'photo.heic', 'document.pdf', 'notes.txt']) {
      const { data, report } = expected.get(name);
      assert.deepEqual(await metadata.inspect(new Blob([data])), report, name);
    }
    const { removed, complete } = await metadata.inspect(new Blob([expected.get('photo.jpg').data]));
    assert.deepEqual([removed, complete], [['gps', 'device', 'time', 'author', 'thumbnail', 'other'], true]);
  });

  it('holds the category tables of the server', () => {
    const tables = JSON.parse(fs.readFileSync(path.join(folder, 'tables.json'), 'utf-8'));
    const order = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
    const byKey = (entries) => [...entries].map(([k, v]) => [k, v]).sort((a, b) => order(a[0], b[0]) || order(a[1], b[1]));
    for (const name of ['EXIF_TAGS', 'XMP_PATTERNS', 'IPTC_DATASETS', 'PNG_KEYWORDS', 'INFO_KEYS']) {
      assert.ok(tables[name].length > 5, name);
      assert.deepEqual(byKey(metadata.tables[name]), byKey(tables[name]), name);
    }
    assert.deepEqual(metadata.CATEGORIES, ['gps', 'device', 'time', 'author', 'thumbnail', 'other']);
  });

  it('never throws on random bytes after a magic, and cuts change nothing', async () => {
    const magics = ['\xff\xd8\xff', '\x89PNG\r\n\x1a\n', 'RIFF\0\x01\0\0WEBP', '\0\0\0\x18ftypheic', '%PDF-1.7\n'];
    for (let seed = 1; seed <= 300; seed++) {
      const magic = Buffer.from(magics[seed % magics.length], 'latin1');
      const data = Buffer.concat([magic, randomBytes(seed, (seed * 37) % 2500)]);
      const whole = await cleaned(data);
      assert.ok(sound(whole.report), JSON.stringify(whole.report));
      assert.ok((await cleaned(data, { someMax: 3 })).bytes.equals(whole.bytes), String(seed));
    }
  });

  it('cleans a large file as slices of it, reading only what it must', async () => {
    // A 96 MiB PNG: its IDAT data is skipped, never read; the output is slices of the input.
    const signature = Buffer.from('89504e470d0a1a0a', 'hex');
    const chunk = (kind, size) => {
      const head = Buffer.alloc(8);
      head.writeUInt32BE(size);
      head.write(kind, 4, 'latin1');
      return head;
    };
    const idat = 96 * 1024 * 1024;
    const blob = new Blob([signature, chunk('IHDR', 13), Buffer.alloc(17), chunk('tEXt', 10), 'Author\0Kim', Buffer.alloc(4),
      chunk('IDAT', idat), new Uint8Array(idat), Buffer.alloc(4), chunk('IEND', 0), Buffer.alloc(4)]);
    const before = process.memoryUsage().arrayBuffers;
    const started = Date.now();
    const result = await metadata.clean(blob);
    assert.ok(Date.now() - started < 5000);
    assert.ok(process.memoryUsage().arrayBuffers - before < 8 * 1024 * 1024, 'nothing large was read');
    assert.deepEqual([result.kind, result.removed, result.complete], ['png', ['author'], true]);
    assert.equal(result.blob.size, blob.size - 22);
  });
});
