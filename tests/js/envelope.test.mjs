// Envelopes in JavaScript (FORMAT.md section 2): round trips, streaming, and every way to break one.
// One file of about 430 lines: every way to break an envelope, beside the round trips they break.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  SoriEnvelope, TAG, concat, craft, encrypt, frame, meta, pattern, plainSodium, rejectsWith, sodium, sori,
  splitEnvelope,
} from './helpers.mjs';

const alice = sori.generateIdentity();
const bob = sori.generateIdentity();
const carol = sori.generateIdentity();
const aliceKey = sori.publicKeyFromRaw(alice.publicKey);
const bobKey = sori.publicKeyFromRaw(bob.publicKey);
const CHUNK = 65536;

function open(envelope, options = { identity: alice }) {
  return sori.decryptParts(envelope, options);
}

describe('round trips', () => {
  for (const size of [0, 1, 65535, 65536, 65537, 3 * CHUNK, 3 * CHUNK + 5]) {
    it(`a part of ${size} bytes`, async () => {
      const data = pattern(size, size);
      const { envelope } = await encrypt([aliceKey.text], [{ name: 'f.bin', type: 'application/octet-stream', data }]);
      const parts = await open(envelope);
      assert.equal(parts.length, 1);
      assert.equal(parts[0].name, 'f.bin');
      assert.equal(parts[0].type, 'application/octet-stream');
      assert.deepEqual(parts[0].data, data);
      // A metadata chunk, then ceil(size / CHUNK) data chunks, and one (empty) chunk for an empty part.
      const { chunks } = splitEnvelope(envelope);
      assert.equal(chunks.length, 1 + Math.max(1, Math.ceil(size / CHUNK)));
    });
  }

  it('several parts, empty ones included, from bytes, text and Blobs', async () => {
    const parts = [
      { name: 'answers.json', type: 'application/json', data: JSON.stringify({ 증언: '2019년 겨울 회령' }) },
      { name: 'empty-first.txt', type: 'text/plain', data: new Uint8Array(0) },
      { name: '사진 1.jpg', type: 'image/jpeg', data: new Blob([pattern(200000, 1)]) },
      { name: 'empty.blob', type: 'application/octet-stream', data: new Blob([]) },
      { name: 'exact.bin', type: 'application/octet-stream', data: new Blob([pattern(CHUNK, 2)]) },
      { name: 'last-empty', type: 'text/plain', data: '' },
    ];
    const { envelope } = await encrypt([aliceKey.text, bobKey], parts);
    for (const identity of [alice, bob]) {
      const opened = await open(envelope, { identity });
      assert.deepEqual(opened.map((p) => [p.name, p.type]), parts.map((p) => [p.name, p.type]));
      assert.equal(new TextDecoder().decode(opened[0].data), parts[0].data);
      assert.equal(opened[1].data.length, 0);
      assert.deepEqual(opened[2].data, pattern(200000, 1));
      assert.equal(opened[3].data.length, 0);
      assert.deepEqual(opened[4].data, pattern(CHUNK, 2));
      assert.equal(opened[5].data.length, 0);
    }
  });

  it('reads from a Blob, a ReadableStream, an async iterator and an array of odd-sized chunks', async () => {
    const data = pattern(150000, 3);
    const { envelope } = await encrypt([aliceKey], [{ name: 'a', type: 'b/c', data }]);
    const slices = (size) => {
      const out = [];
      for (let i = 0; i < envelope.length; i += size) out.push(envelope.slice(i, i + size));
      return out;
    };
    const sources = [
      new Blob([envelope]),
      new ReadableStream({ start(c) { for (const s of slices(5000)) c.enqueue(s); c.close(); } }),
      (async function* () { yield* slices(3); })(),
      slices(65557),
      envelope.buffer,
    ];
    for (const source of sources) {
      const parts = await open(source);
      assert.deepEqual(parts[0].data, data);
    }
  });

  it('writes to each recipient once, in order, and readHeader reads them without a key', async () => {
    const { envelope } = await encrypt([bobKey.text, aliceKey.text, bobKey.raw, bobKey], [{ name: 'a', type: 'b', data: 'x' }]);
    const header = await sori.readHeader(envelope);
    assert.deepEqual(header, { version: 1, keyIds: [bobKey.keyIdHex, aliceKey.keyIdHex], headerLength: 34 + 88 * 2 });
    assert.equal(envelope.length, header.headerLength + (4 + 17 + 23) + (4 + 17 + 1));
  });

  it('opens with the file key alone, and the reader hands out the same file key', async () => {
    const { envelope, fileKey } = await encrypt([aliceKey], [{ name: 'a', type: 'b', data: 'secret' }]);
    const parts = await open(envelope, { fileKey });
    assert.equal(new TextDecoder().decode(parts[0].data), 'secret');
    const reader = await sori.openEnvelope(envelope, { identity: alice });
    assert.deepEqual(reader.fileKey, fileKey);
    assert.deepEqual(reader.keyIds, [aliceKey.keyIdHex]);
  });

  it('works with libsodium-wrappers (no sumo) too', async () => {
    const small = SoriEnvelope.create(await plainSodium());
    const pieces = [];
    await small.encryptParts([aliceKey.text], [{ name: 'a', type: 'b', data: pattern(70000) }], async (b) => { pieces.push(b); });
    const parts = await small.decryptParts(concat(pieces), { identity: alice });
    assert.deepEqual(parts[0].data, pattern(70000));
  });

  it('reports progress up to the total', async () => {
    const seen = [];
    await sori.encryptParts([aliceKey], [
      { name: 'a', type: 'b', data: new Blob([pattern(3 * 1024 * 1024 + 7)]) },
      { name: 'c', type: 'd', data: 'text' },
    ], async () => {}, (done, total) => seen.push([done, total]));
    assert.deepEqual(seen.at(-1), [3 * 1024 * 1024 + 11, 3 * 1024 * 1024 + 11]);
    assert.ok(seen.length >= 5);
  });
});

describe('streaming writer', () => {
  it('holds back a full piece until it knows whether more follows', async () => {
    const sunk = [];
    const writer = sori.createWriter([aliceKey], async (bytes) => { sunk.push(bytes); });
    await writer.beginPart('a', 'b');
    assert.equal(sunk.length, 2); // header, metadata chunk
    await writer.write(pattern(CHUNK));
    assert.equal(sunk.length, 2); // the piece may be the last one: not written yet
    await writer.write(new Uint8Array(1));
    assert.equal(sunk.length, 3);
    assert.equal(sunk[2].length, 4 + CHUNK + 17);
    await writer.close();
    assert.equal(sunk.length, 4);
    assert.equal(sunk[3].length, 4 + 1 + 17);
    const parts = await open(concat(sunk));
    assert.deepEqual(parts[0].data, concat([pattern(CHUNK), new Uint8Array(1)]));
  });

  it('gives the same plaintext whatever the write sizes', async () => {
    const data = pattern(3 * CHUNK + 100, 9);
    for (const step of [1, 1000, CHUNK - 1, CHUNK, CHUNK + 1]) {
      const sunk = [];
      const writer = sori.createWriter([aliceKey], async (bytes) => { sunk.push(bytes); });
      await writer.beginPart('a', 'b');
      for (let i = 0; i < data.length; i += step) await writer.write(data.subarray(i, i + step));
      await writer.beginPart('second', 'b');
      await writer.close();
      for (const piece of sunk) assert.ok(piece.length <= 4 + CHUNK + 17);
      const parts = await open(concat(sunk));
      assert.deepEqual(parts[0].data, data);
      assert.equal(parts[1].data.length, 0);
    }
  });

  it('refuses misuse', async () => {
    const writer = sori.createWriter([aliceKey], async () => {});
    await assert.rejects(writer.write(new Uint8Array(1)), /beginPart/);
    await assert.rejects(writer.close(), /at least one part/);
    await assert.rejects(writer.beginPart('', 'b'), RangeError);
    await assert.rejects(writer.beginPart('x'.repeat(256), 'b'), RangeError);
    await writer.beginPart('😀'.repeat(255), 'b'); // 255 characters, 510 UTF-16 units: allowed
    const pending = writer.write(new Uint8Array(10));
    await assert.rejects(writer.write(new Uint8Array(1)), /await/);
    await pending;
    await writer.close();
    await assert.rejects(writer.close(), /closed/);
    assert.throws(() => sori.createWriter([], async () => {}), RangeError);
    assert.throws(() => sori.createWriter([aliceKey.text.slice(0, -1)], async () => {}), { code: 'bad_key' });
    assert.throws(() => sori.createWriter([new Uint8Array(32)], async () => {}), { code: 'bad_key' }); // low order
  });

  it('stops after the sink fails', async () => {
    let calls = 0;
    const writer = sori.createWriter([aliceKey], async () => {
      calls += 1;
      if (calls === 2) throw new Error('disk full');
    });
    await assert.rejects(writer.beginPart('a', 'b'), /disk full/);
    await assert.rejects(writer.write(new Uint8Array(1)), /failed earlier/);
  });
});

describe('reader', () => {
  it('yields part, data and end events in order', async () => {
    const { envelope } = await encrypt([aliceKey], [
      { name: 'a', type: 't', data: pattern(CHUNK + 1) },
      { name: 'b', type: 't', data: '' },
    ]);
    const reader = await sori.openEnvelope(envelope, { identity: alice });
    const events = [];
    for await (const event of reader) {
      events.push(event.kind === 'data' ? `data ${event.index} ${event.bytes.length}` : `${event.kind} ${event.index}`);
    }
    assert.deepEqual(events, ['part 0', `data 0 ${CHUNK}`, 'data 0 1', 'end 0', 'part 1', 'end 1']);
  });

  it("stops at the caller's limits with size_limit", async () => {
    const { envelope } = await encrypt([aliceKey], [
      { name: 'a', type: 't', data: pattern(1000) },
      { name: 'b', type: 't', data: pattern(1000) },
    ]);
    await rejectsWith(open(envelope, { identity: alice, maxParts: 1 }), 'size_limit');
    await rejectsWith(open(envelope, { identity: alice, maxBytes: 1999 }), 'size_limit');
    assert.equal((await open(envelope, { identity: alice, maxParts: 2, maxBytes: 2000 })).length, 2);
  });

  it('refuses to open without exactly one key', async () => {
    const { envelope, fileKey } = await encrypt([aliceKey], [{ name: 'a', type: 'b', data: 'x' }]);
    await assert.rejects(sori.openEnvelope(envelope, {}), TypeError);
    await assert.rejects(sori.openEnvelope(envelope, { identity: alice, fileKey }), TypeError);
    await assert.rejects(sori.openEnvelope(envelope, { fileKey: fileKey.subarray(1) }), TypeError);
  });
});

describe('broken envelopes fail with the exact code', () => {
  const parts = [
    { name: 'answers.json', type: 'application/json', data: '{"a": 1}' },
    { name: 'photo.jpg', type: 'image/jpeg', data: pattern(2 * CHUNK + 10) },
  ];
  let good; // header + meta, data 64K, data 10 (PUSH) for part 0 ... see chunks below
  let split;
  let goodTwo; // sealed to alice and bob
  const ready = (async () => {
    good = (await encrypt([aliceKey], parts)).envelope;
    split = splitEnvelope(good);
    goodTwo = (await encrypt([aliceKey, bobKey], parts)).envelope;
  })();
  const flip = (bytes, offset, bit = 1) => {
    const out = bytes.slice();
    out[offset] ^= bit;
    return out;
  };
  const rebuild = (chunks, header = split.header) => concat([header, ...chunks]);

  it('the good one opens', async () => {
    await ready;
    assert.equal((await open(good)).length, 2);
    assert.equal(split.chunks.length, 1 + 1 + 1 + 3); // meta, data+PUSH, meta, data, data, data+FINAL
  });

  it('not an envelope: wrong magic or fewer than 8 bytes', async () => {
    await ready;
    for (let i = 0; i < 8; i++) await rejectsWith(open(flip(good, i)), 'not_an_envelope');
    await rejectsWith(open(new Uint8Array(0)), 'not_an_envelope');
    await rejectsWith(open(good.slice(0, 7)), 'not_an_envelope');
    await rejectsWith(sori.readHeader(new TextEncoder().encode('%PDF-1.7 and so on')), 'not_an_envelope');
  });

  it('unknown versions', async () => {
    await ready;
    for (const version of [0, 2, 255]) {
      const bytes = good.slice();
      bytes[8] = version;
      await rejectsWith(open(bytes), 'unsupported_version');
      await rejectsWith(sori.readHeader(bytes), 'unsupported_version');
      await assert.rejects(open(bytes), { version });
    }
    await rejectsWith(open(concat([good.slice(0, 8), new Uint8Array([2, 1])])), 'unsupported_version');
  });

  it('no recipient stanza', async () => {
    await ready;
    const bytes = concat([good.slice(0, 9), new Uint8Array([0]), good.slice(10 + 88)]);
    await rejectsWith(open(bytes), 'malformed');
  });

  it('truncated at every byte', async () => {
    // Small enough to cut everywhere: header, both chunks' lengths and ciphertexts.
    const { envelope } = await encrypt([aliceKey], [{ name: 'a', type: 'b', data: 'xy' }, { name: 'c', type: 'd', data: '' }]);
    for (let end = 0; end < envelope.length; end++) {
      await rejectsWith(open(envelope.slice(0, end)), end < 8 ? 'not_an_envelope' : 'truncated');
    }
    assert.equal((await open(envelope)).length, 2);
  });

  it('truncated at chunk boundaries of a larger envelope', async () => {
    await ready;
    for (let keep = 0; keep < split.chunks.length; keep++) {
      await rejectsWith(open(rebuild(split.chunks.slice(0, keep))), 'truncated');
    }
    await rejectsWith(open(good.slice(0, good.length - 1)), 'truncated');
    await rejectsWith(open(good.slice(0, split.header.length + 2)), 'truncated');
  });

  it('a bit flipped anywhere in the header', async () => {
    await ready;
    // Key id (no_matching_key), sealed key (tampered), stream header (tampered).
    for (let i = 10; i < 18; i++) await rejectsWith(open(flip(good, i)), 'no_matching_key');
    for (const i of [18, 50, 97, 98, 110, 121]) await rejectsWith(open(flip(good, i)), 'tampered');
  });

  it("another recipient's stanza altered: the header is bound to the body", async () => {
    await ready;
    for (const i of [10 + 88, 10 + 88 + 20, 10 + 88 + 87]) {
      await rejectsWith(open(flip(goodTwo, i), { identity: alice }), 'tampered');
    }
    assert.equal((await open(goodTwo, { identity: bob })).length, 2);
  });

  it('a bit flipped in any chunk', async () => {
    await ready;
    for (let c = 0; c < split.chunks.length; c++) {
      for (const at of [4, 10, split.chunks[c].length - 1]) {
        const chunks = split.chunks.slice();
        chunks[c] = flip(chunks[c], at);
        await rejectsWith(open(rebuild(chunks)), 'tampered');
      }
    }
  });

  it('a chunk dropped, repeated or reordered', async () => {
    await ready;
    const n = split.chunks.length;
    for (let c = 0; c < n - 1; c++) {
      await rejectsWith(open(rebuild(split.chunks.filter((_, i) => i !== c))), 'tampered');
      const repeated = split.chunks.slice();
      repeated.splice(c, 0, split.chunks[c]);
      await rejectsWith(open(rebuild(repeated)), 'tampered');
      const swapped = split.chunks.slice();
      [swapped[c], swapped[c + 1]] = [swapped[c + 1], swapped[c]];
      await rejectsWith(open(rebuild(swapped)), 'tampered');
    }
    // Without its FINAL chunk the envelope just ends; with it twice, bytes follow the end.
    await rejectsWith(open(rebuild(split.chunks.slice(0, n - 1))), 'truncated');
    await rejectsWith(open(rebuild([...split.chunks, split.chunks[n - 1]])), 'trailing_data');
  });

  it('bytes after the FINAL chunk', async () => {
    await ready;
    await rejectsWith(open(concat([good, new Uint8Array(1)])), 'trailing_data');
    await rejectsWith(open(concat([good, good])), 'trailing_data');
    await rejectsWith(open([good, new Uint8Array(0), new Uint8Array([0])]), 'trailing_data');
  });

  it('absurd chunk lengths', async () => {
    await ready;
    for (const length of [0, 16, 65554, 0x7fffffff, 0xffffffff]) {
      const chunks = split.chunks.slice();
      const bad = chunks[1].slice();
      new DataView(bad.buffer).setUint32(0, length);
      chunks[1] = bad;
      await rejectsWith(open(rebuild(chunks)), 'size_limit');
    }
    // Lengths within bounds but wrong: authentication or the stream's end catches them.
    const chunks = split.chunks.slice();
    const bad = chunks[0].slice();
    new DataView(bad.buffer).setUint32(0, bad.length - 4 - 1);
    chunks[0] = bad;
    await rejectsWith(open(rebuild(chunks)), 'tampered');
  });

  it('the wrong identity or the wrong file key', async () => {
    await ready;
    await rejectsWith(open(good, { identity: carol }), 'no_matching_key');
    await rejectsWith(open(good, { identity: bob }), 'no_matching_key');
    await rejectsWith(open(good, { fileKey: sodium.randombytes_buf(32) }), 'tampered');
    // Alice's secret key with Bob's public key claimed: the key id matches nothing.
    await rejectsWith(open(good, { identity: { secretKey: alice.secretKey, publicKey: bob.publicKey } }), 'no_matching_key');
    // Bob's secret key claiming Alice's public key: the stanza matches but does not open.
    await rejectsWith(open(good, { identity: { secretKey: bob.secretKey, publicKey: alice.publicKey } }), 'tampered');
  });

  it('a second stanza for the same key opens when the first does not', async () => {
    await ready;
    const { envelope } = await encrypt([aliceKey], [{ name: 'a', type: 'b', data: 'x' }]);
    const stanza = envelope.slice(10, 98);
    const broken = flip(stanza, 50);
    // The header changes, so the first chunk fails: tampered, but only after the second stanza opened.
    const bytes = concat([envelope.slice(0, 9), new Uint8Array([2]), broken, stanza, envelope.slice(98)]);
    await rejectsWith(open(bytes), 'tampered');
    const reader = await sori.openEnvelope(bytes, { identity: alice });
    assert.equal(reader.keyIds.length, 2);
  });
});

describe('grammar of the decrypted chunks (FORMAT.md 2.4 step 8)', () => {
  const ids = [alice];
  const data = (bytes, tag) => ({ plaintext: bytes, tag });
  const cases = {
    'metadata tagged FINAL': [[{ ...meta('a'), tag: TAG.FINAL }], 'malformed'],
    'metadata tagged PUSH': [[{ ...meta('a'), tag: TAG.PUSH }, meta('b'), data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata over 4096 bytes': [[{ plaintext: JSON.stringify({ name: 'a', type: 'b', pad: 'x'.repeat(4096) }), tag: 0 },
      data(new Uint8Array(0), TAG.FINAL)], 'size_limit'],
    'metadata not UTF-8': [[{ plaintext: new Uint8Array([0x7b, 0xff, 0x7d]), tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata with a byte order mark': [[{ plaintext: '\ufeff{"name":"a","type":"b"}', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata not JSON': [[{ plaintext: 'name=a', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata a JSON array': [[{ plaintext: '["a","b"]', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata null': [[{ plaintext: 'null', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata without a name': [[{ plaintext: '{"type":"b"}', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata with a number for name': [[{ plaintext: '{"name":1,"type":"b"}', tag: 0 }, data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'metadata with an empty type': [[meta('a', ''), data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'a name of 256 characters': [[meta('가'.repeat(256)), data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'a data chunk tagged MESSAGE short of 64 KiB': [[meta('a'), data(pattern(100), TAG.MESSAGE), data(pattern(1), TAG.FINAL)], 'malformed'],
    'an empty data chunk tagged MESSAGE': [[meta('a'), data(new Uint8Array(0), TAG.MESSAGE), data(pattern(1), TAG.FINAL)], 'malformed'],
    'an empty FINAL after data': [[meta('a'), data(pattern(CHUNK), TAG.MESSAGE), data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'an empty PUSH after data': [[meta('a'), data(pattern(CHUNK), TAG.MESSAGE), data(new Uint8Array(0), TAG.PUSH),
      meta('b'), data(new Uint8Array(0), TAG.FINAL)], 'malformed'],
    'a REKEY tag': [[meta('a'), data(pattern(5), TAG.REKEY), data(pattern(1), TAG.FINAL)], 'malformed'],
    'an unknown tag': [[meta('a'), data(pattern(5), 0x80)], 'malformed'],
    'a REKEY tag on metadata': [[{ ...meta('a'), tag: TAG.REKEY }], 'malformed'],
    'ends after a PUSH': [[meta('a'), data(pattern(5), TAG.PUSH)], 'truncated'],
    'ends after metadata': [[meta('a')], 'truncated'],
    'ends after a full MESSAGE chunk': [[meta('a'), data(pattern(CHUNK), TAG.MESSAGE)], 'truncated'],
    'a chunk after FINAL': [[meta('a'), data(pattern(5), TAG.FINAL), meta('b')], 'trailing_data'],
  };
  for (const [title, [chunks, code]] of Object.entries(cases)) {
    it(title, async () => {
      await rejectsWith(open(craft(ids, chunks).envelope), code);
    });
  }

  it('accepts what the grammar allows: other metadata members, a full last chunk, 255 characters', async () => {
    const { envelope } = craft(ids, [
      { plaintext: JSON.stringify({ name: '가'.repeat(255), type: '😀'.repeat(255), size: 9 }), tag: 0 },
      data(pattern(CHUNK), TAG.PUSH),
      meta('b'), data(new Uint8Array(0), TAG.FINAL),
    ]);
    const parts = await open(envelope);
    assert.equal(parts[0].name, '가'.repeat(255));
    assert.deepEqual(parts[0].data, pattern(CHUNK));
    assert.equal(parts[1].data.length, 0);
  });

  it('releases plaintext before a later failure, and the failure still comes', async () => {
    const { envelope } = craft(ids, [meta('a'), data(pattern(CHUNK), TAG.MESSAGE)]);
    const reader = await sori.openEnvelope(envelope, { identity: alice });
    const kinds = [];
    await rejectsWith((async () => { for await (const e of reader) kinds.push(e.kind); })(), 'truncated');
    assert.deepEqual(kinds, ['part', 'data']);
  });

  it('frames a raw ciphertext shorter than ABYTES as size_limit', async () => {
    const { envelope } = craft(ids, [meta('a'), data(pattern(1), TAG.FINAL)]);
    const { header, chunks } = splitEnvelope(envelope);
    await rejectsWith(open(concat([header, chunks[0], frame(new Uint8Array(16))])), 'size_limit');
  });
});
