/*
 * metadata.js: hidden metadata removed from an attachment in the browser, before it is sealed. A photo's
 * Exif can hold where it was taken (GPS), the camera and its serial number, and when; a PDF names its author.
 *
 * This is the server's cleaner (intake/metadata/, whose modules say what each format loses and keeps)
 * written again for the browser, request for request, so that the same file gives the same bytes and the
 * same report on both paths. Each format handler is a generator that yields requests (look at the next
 * bytes, keep some, drop some, zero some, put new ones); here they are answered from slices of the Blob,
 * and the cleaned file is a new Blob made of slices of the original and a few small new byte arrays, so
 * that a large file is never copied into memory. At most 1 MiB is read at once (a HEIF meta box, a PDF
 * object; 64 KiB otherwise). Nothing decodes an image: its compressed data is kept byte for byte, and so
 * is its orientation.
 *
 * One file, in sections that follow intake/metadata/'s modules one for one: a source over Tor pays about
 * half a second per script requested, and the page needs every format's handler before it knows the files.
 *
 *   SoriMetadata.CATEGORIES             ['gps', 'device', 'time', 'author', 'thumbnail', 'other']
 *   await SoriMetadata.inspect(blob)    {kind, removed, complete, reason}: what clean would do
 *   await SoriMetadata.clean(blob)      {blob, kind, removed, complete, reason}
 *
 * kind is 'jpeg', 'png', 'webp', 'heif', 'pdf' or null (passed through unchanged); removed lists the
 * categories found and removed, in the order of CATEGORIES; complete is false when the file could not be
 * cleaned fully (from that point on it passes through unchanged), and reason then says why in English.
 * Nothing in a file makes them reject. One plain script, no build step, no dependencies: in a browser it
 * defines globalThis.SoriMetadata; in Node it exports the same object.
 */
(function (root, factory) {
  if (typeof module === 'object' && module.exports) module.exports = factory();
  else root.SoriMetadata = factory();
})(typeof globalThis !== 'undefined' ? globalThis : this, function () {
  'use strict';

  // ---- The reading protocol (intake/metadata/reading.py) ----

  const CATEGORIES = Object.freeze(['gps', 'device', 'time', 'author', 'thumbnail', 'other']);
  const WINDOW = 65536;
  const HOLD_MAX = 1 << 20;
  /** "To the end of the file". */
  const ALL = Infinity;
  /** Sizes past this are refused, so that numbers stay exact. */
  const SIZE_MAX = Number.MAX_SAFE_INTEGER;

  const NEED = 'need';
  const SOME = 'some';
  const KEEP = 'keep';
  const DROP = 'drop';
  const ZERO = 'zero';
  const PUT = 'put';
  /** The next `size` bytes, not consumed; fewer only at the end of the file. */
  const Need = (size) => ({ op: NEED, size });
  /** The next 1 to `size` bytes, not consumed; empty only at the end of the file. */
  const Some = (size) => ({ op: SOME, size });
  /** Pass the next `size` bytes through unchanged; answers how many there were. */
  const Keep = (size) => ({ op: KEEP, size });
  /** Consume the next `size` bytes and write nothing; answers how many there were. */
  const Drop = (size) => ({ op: DROP, size });
  /** Consume the next `size` bytes and write as many zero bytes; answers how many there were. */
  const Zero = (size) => ({ op: ZERO, size });
  /** Write new bytes. */
  const Put = (data) => ({ op: PUT, data });

  /** The file cannot be cleaned any further: everything not yet written passes through unchanged. */
  class Unclean extends Error {
    constructor(reason) {
      super(reason);
      this.reason = reason;
    }
  }

  /** What a handler learnt: the file's kind, what it removed, why it could not clean everything. */
  class Findings {
    constructor() {
      this.kind = null;
      this.removed = new Set();
      this.reason = null;
      this.offset = 0;
    }

    found(categories) {
      for (const category of categories) this.removed.add(category);
    }

    unclean(reason) {
      if (this.reason === null) this.reason = reason;
    }
  }

  function* need(size) {
    const data = yield Need(size);
    if (data.length < size) throw new Unclean('truncated');
    return data;
  }

  function* move(request) {
    const done = yield request;
    if (done !== request.size) throw new Unclean('truncated');
  }

  /** Drops everything to the end of the file; answers whether any of it was more than blank. */
  function* dropRest() {
    let something = false;
    for (;;) {
      const data = yield Some(WINDOW);
      if (!data.length) return something;
      something = something || !isBlank(data);
      yield Drop(data.length);
    }
  }

  /** Only zeros, spaces and line ends: nothing to report. */
  function isBlank(data) {
    for (let i = 0; i < data.length; i++) {
      const byte = data[i];
      if (byte !== 0 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 32) return false;
    }
    return true;
  }

  /** An unsigned integer read as Python's int.from_bytes(data[at:at + size]) reads it. */
  function uint(data, at, size, little) {
    const end = Math.min(at + size, data.length);
    let value = 0;
    if (little) for (let i = end - 1; i >= at; i--) value = value * 256 + data[i];
    else for (let i = at; i < end; i++) value = value * 256 + data[i];
    return value;
  }
  const u16 = (data, at, little) => uint(data, at, 2, little);
  const u32 = (data, at, little) => uint(data, at, 4, little);

  /** Bytes as a string of the same length, one character per byte. */
  function latin1(data) {
    let text = '';
    for (let i = 0; i < data.length; i += 8192) {
      text += String.fromCharCode.apply(null, data.subarray(i, Math.min(i + 8192, data.length)));
    }
    return text;
  }

  function bytesOf(text) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }

  function concat(...arrays) {
    const out = new Uint8Array(arrays.reduce((total, array) => total + array.length, 0));
    let at = 0;
    for (const array of arrays) {
      out.set(array, at);
      at += array.length;
    }
    return out;
  }

  function sameBytes(a, b) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  const text = (data, start, end) => latin1(data.subarray(start, end));
  const startsWith = (data, prefix, at = 0) => text(data, at, at + prefix.length) === prefix;

  // ---- What metadata holds (intake/metadata/tags.py) ----

  const ORIENTATION = 0x0112;
  const EXIF_IFD = 0x8769;
  const GPS_IFD = 0x8825;
  const INTEROP_IFD = 0xa005;

  function table(groups) {
    const map = new Map();
    for (const [category, keys] of Object.entries(groups)) for (const key of keys) map.set(key, category);
    return map;
  }

  const EXIF_TAGS = table({
    device: [0x010f, 0x0110, 0x0131, 0x013c, 0x927c, 0xa420, 0xa431, 0xa433, 0xa434, 0xa435],
    time: [0x0132, 0x9003, 0x9004, 0x9010, 0x9011, 0x9012, 0x9290, 0x9291, 0x9292],
    author: [0x010e, 0x013b, 0x8298, 0x9286, 0x9c9b, 0x9c9c, 0x9c9d, 0x9c9e, 0x9c9f, 0xa430],
  });
  const XMP_PROPERTIES = {
    gps: ['City', 'State', 'Country', 'CountryCode', 'Location', 'Sublocation', 'LocationCreated', 'LocationShown'],
    device: ['Make', 'Model', 'Software', 'CreatorTool', 'SerialNumber', 'Lens', 'LensModel', 'LensID', 'LensInfo',
      'LensMake', 'LensSerialNumber', 'BodySerialNumber', 'CameraSerialNumber', 'ImageUniqueID'],
    time: ['CreateDate', 'ModifyDate', 'MetadataDate', 'DateTimeOriginal', 'DateTimeDigitized', 'DateCreated',
      'DateTime', 'when'],
    author: ['creator', 'rights', 'Artist', 'Author', 'Credit', 'CaptionWriter', 'Copyright', 'UserComment',
      'description', 'OwnerName', 'Owner', 'AuthorsPosition', 'CreatorContactInfo'],
    thumbnail: ['Thumbnails'],
  };
  const XMP_PATTERNS = [[':GPS', 'gps']];
  for (const [category, names] of Object.entries(XMP_PROPERTIES)) {
    for (const name of names) for (const end of '>=') XMP_PATTERNS.push([':' + name + end, category]);
  }
  const XMP_TAIL = Math.max(...XMP_PATTERNS.map(([pattern]) => pattern.length)) - 1;
  const IPTC_DATASETS = table({
    gps: [26, 27, 90, 92, 95, 100, 101],
    time: [30, 35, 55, 60, 62, 63],
    author: [80, 85, 110, 115, 116, 118, 120, 122],
  });
  const PNG_KEYWORDS = table({
    author: ['Author', 'Artist', 'Copyright', 'Comment', 'Description'],
    time: ['Creation Time'],
    device: ['Software', 'Source', 'Make', 'Model'],
  });

  /**
   * The categories of an Exif block (a TIFF header and its IFDs, at most WINDOW bytes looked at) and its
   * orientation (1 to 8; 1 when absent or unreadable). IFD0, Exif, GPS and IFD1 are each read once.
   */
  function readExif(tiff) {
    tiff = tiff.subarray(0, WINDOW);
    if (tiff.length < 8 || !(startsWith(tiff, 'II*\0') || startsWith(tiff, 'MM\0*'))) {
      return [new Set(isBlank(tiff) ? [] : ['other']), 1];
    }
    const little = tiff[0] === 0x49;
    const found = new Set();
    let orientation = 1;
    const pointers = new Map();
    const ifd0 = u32(tiff, 4, little);
    for (const [tag, kind, count, at] of ifdEntries(tiff, ifd0, little)) {
      if (tag === ORIENTATION) {
        const value = u16(tiff, at, little);
        if (kind === 3 && count >= 1 && value >= 1 && value <= 8) orientation = value;
      } else if (tag === EXIF_IFD || tag === GPS_IFD) {
        pointers.set(tag, u32(tiff, at, little));
      } else {
        found.add(EXIF_TAGS.get(tag) || 'other');
      }
    }
    if (pointers.has(EXIF_IFD)) {
      for (const [tag] of ifdEntries(tiff, pointers.get(EXIF_IFD), little)) {
        if (tag !== INTEROP_IFD) found.add(EXIF_TAGS.get(tag) || 'other');
      }
    }
    if (pointers.has(GPS_IFD) && ifdEntries(tiff, pointers.get(GPS_IFD), little).some(([tag]) => tag !== 0)) {
      found.add('gps');
    }
    if (ifd0 > 0 && ifd0 <= tiff.length - 2) {
      const end = ifd0 + 2 + 12 * u16(tiff, ifd0, little);
      if (end + 4 <= tiff.length && ifdEntries(tiff, u32(tiff, end, little), little).length) found.add('thumbnail');
    }
    return [found, orientation];
  }

  /** The [tag, type, count, value offset] entries of the IFD at `offset`, as many as the block holds. */
  function ifdEntries(tiff, offset, little) {
    if (offset < 8 || offset + 2 > tiff.length) return [];
    const count = Math.min(u16(tiff, offset, little), Math.floor((tiff.length - offset - 2) / 12));
    const entries = [];
    for (let at = offset + 2; at < offset + 2 + 12 * count; at += 12) {
      entries.push([u16(tiff, at, little), u16(tiff, at + 2, little), u32(tiff, at + 4, little), at + 8]);
    }
    return entries;
  }

  /** A big-endian TIFF block whose IFD0 holds only the orientation: 26 bytes. */
  function minimalExif(orientation) {
    return new Uint8Array([0x4d, 0x4d, 0, 0x2a, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation,
      0, 0, 0, 0, 0, 0]);
  }

  /** The categories of a JPEG APP13 Photoshop block (after its "Photoshop 3.0\0" name). */
  function readPhotoshop(block) {
    const found = new Set();
    const signatures = ['8BIM', 'MeSa', 'PHUT', 'AgHg', 'DCSR'];
    let at = 0;
    while (at + 12 <= block.length && signatures.includes(text(block, at, at + 4))) {
      const resource = u16(block, at + 4);
      const name = block[at + 6] + 1;
      at += 6 + name + (name & 1);
      if (at + 4 > block.length) break;
      const size = u32(block, at);
      const data = block.subarray(at + 4, at + 4 + size);
      at += 4 + size + (size & 1);
      if (resource === 0x0404) {
        for (const category of readIptc(data)) found.add(category);
      } else if (resource === 0x0409 || resource === 0x040c) {
        found.add('thumbnail');
      } else if (resource === 0x0422) {
        for (const category of readExif(data)[0]) found.add(category);
      } else if (resource === 0x0424) {
        const scanner = new XmpScanner();
        scanner.feed(data);
        for (const category of scanner.categories()) found.add(category);
      } else if (!isBlank(data)) {
        found.add('other');
      }
    }
    return found;
  }

  function readIptc(data) {
    const found = new Set();
    let at = 0;
    while (at + 5 <= data.length && data[at] === 0x1c) {
      const record = data[at + 1];
      const dataset = data[at + 2];
      const size = u16(data, at + 3);
      if (size & 0x8000) {
        found.add('other');
        break;
      }
      if (record === 2 && dataset !== 0) found.add(IPTC_DATASETS.get(dataset) || 'other');
      else if (record !== 1 && record !== 2) found.add('other');
      at += 5 + size;
    }
    return found;
  }

  /** Finds XMP properties by category in a stream of bytes, holding only a short tail between pieces. */
  class XmpScanner {
    constructor() {
      this.found = new Set();
      this.tail = '';
      this.blank = true;
    }

    feed(data) {
      if (this.blank && !isBlank(data)) this.blank = false;
      const seen = this.tail + latin1(data);
      for (const [pattern, category] of XMP_PATTERNS) {
        if (!this.found.has(category) && seen.includes(pattern)) this.found.add(category);
      }
      this.tail = seen.slice(Math.max(0, seen.length - XMP_TAIL));
    }

    categories() {
      return this.found.size || this.blank ? new Set(this.found) : new Set(['other']);
    }
  }

  // ---- JPEG (intake/metadata/jpeg.py) ----

  const APP0 = 0xe0;
  const APP1 = 0xe1;
  const APP2 = 0xe2;
  const APP13 = 0xed;
  const APP14 = 0xee;
  const APP15 = 0xef;
  const COM = 0xfe;
  const XMP_NAMES = ['http://ns.adobe.com/xap/1.0/\0', 'http://ns.adobe.com/xmp/extension/\0'];

  function* cleanJpeg(findings) {
    findings.kind = 'jpeg';
    yield* move(Keep(2));
    let orientationWritten = false;
    for (;;) {
      const head = yield Need(2);
      if (head.length < 2) throw new Unclean('truncated');
      if (head[0] !== 0xff) throw new Unclean('a marker was expected');
      const marker = head[1];
      if (marker === 0xff) {
        // Fill bytes before a marker: keep all but the last, which starts the marker (the first of the
        // two seen is a fill byte, however few bytes Some answers).
        const run = yield Some(WINDOW);
        let fill = 0;
        while (fill < run.length && run[fill] === 0xff) fill++;
        yield* move(Keep(Math.max(fill - 1, 1)));
      } else if (marker === 0xd9) {
        yield* move(Keep(2));
        const after = yield Need(2);
        if (yield* dropRest()) findings.found(sameBytes(after, [0xff, 0xd8]) ? ['thumbnail'] : ['other']);
        return;
      } else if ((marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) {
        yield* move(Keep(2));
      } else if (marker === 0xd8) {
        throw new Unclean('a second start of image');
      } else {
        const length = u16(yield* need(4), 2);
        if (length < 2) throw new Unclean('a segment length below 2');
        if ((marker >= APP0 && marker <= APP15) || marker === COM) {
          const segment = yield* need(2 + length);
          let kept;
          if (marker === APP1 && startsWith(segment, 'Exif\0', 4)) {
            const [categories, orientation] = readExif(segment.subarray(10));
            findings.found(categories);
            kept = orientationWritten || orientation === 1 ? new Uint8Array(0) : exifSegment(orientation);
            orientationWritten = orientationWritten || kept.length > 0;
          } else {
            kept = metadataSegment(marker, segment, findings);
          }
          if (sameBytes(kept, segment)) {
            yield* move(Keep(segment.length));
          } else {
            yield* move(Drop(segment.length));
            if (kept.length) yield Put(kept);
          }
        } else {
          yield* move(Keep(2 + length));
          if (marker === 0xda) yield* entropyCodedData();
        }
      }
    }
  }

  function exifSegment(orientation) {
    const tiff = minimalExif(orientation);
    return concat(new Uint8Array([0xff, 0xe1, 0, tiff.length + 8]), bytesOf('Exif\0\0'), tiff);
  }

  function metadataSegment(marker, segment, findings) {
    const payload = segment.subarray(4);
    if (marker === APP0 && startsWith(payload, 'JFIF\0') && payload.length >= 14) {
      const thumbnail = payload.subarray(14);
      if (!thumbnail.length && payload[12] === 0 && payload[13] === 0) return segment;
      if (thumbnail.length) findings.found(payload[12] && payload[13] ? ['thumbnail'] : ['other']);
      return concat(new Uint8Array([0xff, 0xe0, 0, 16]), payload.subarray(0, 12), new Uint8Array(2));
    }
    if (marker === APP2 && startsWith(payload, 'ICC_PROFILE\0')) return segment; // colour, not identity
    if (marker === APP14 && startsWith(payload, 'Adobe')) return segment; // how the colours are coded
    if (marker === APP1 && XMP_NAMES.some((name) => startsWith(payload, name))) {
      const scanner = new XmpScanner();
      scanner.feed(payload);
      findings.found(scanner.categories());
    } else if (marker === APP13 && startsWith(payload, 'Photoshop 3.0\0')) {
      findings.found(readPhotoshop(payload.subarray(14)));
    } else if (marker === APP0 && startsWith(payload, 'JFXX\0')) {
      findings.found(['thumbnail']);
    } else if (marker === COM) {
      findings.found(isBlank(payload) ? [] : ['author']);
    } else {
      findings.found(['other']);
    }
    return new Uint8Array(0);
  }

  /** Keeps the compressed data after a start of scan, up to the next marker (left unread). */
  function* entropyCodedData() {
    for (;;) {
      let data = yield Some(WINDOW);
      if (data.length < 2) {
        data = yield Need(2);
        if (data.length < 2) throw new Unclean('truncated');
      }
      let marker = -1;
      for (let at = data.indexOf(0xff); at >= 0 && at + 1 < data.length; at = data.indexOf(0xff, at + 1)) {
        const next = data[at + 1];
        if (next !== 0 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) {
          marker = at;
          break;
        }
      }
      if (marker >= 0) {
        if (marker) yield* move(Keep(marker));
        return;
      }
      yield* move(Keep(data.length - (data[data.length - 1] === 0xff ? 1 : 0)));
    }
  }

  // ---- PNG (intake/metadata/png.py) ----

  const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
  const PNG_RENDERING = new Set(['tRNS', 'gAMA', 'cHRM', 'sRGB', 'iCCP', 'cICP', 'mDCV', 'cLLI', 'sBIT', 'pHYs', 'bKGD',
    'hIST', 'sPLT', 'acTL', 'fcTL', 'fdAT', 'sCAL', 'oFFs', 'pCAL', 'sTER']);
  const PNG_TEXT = new Set(['tEXt', 'zTXt', 'iTXt']);

  function* cleanPng(findings) {
    findings.kind = 'png';
    yield* move(Keep(8));
    let orientationWritten = false;
    for (;;) {
      const head = yield* need(8);
      const length = u32(head, 0);
      const kind = text(head, 4, 8);
      if (length > 0x7fffffff || !/^[A-Za-z]{4}$/.test(kind)) throw new Unclean('not a PNG chunk');
      const size = 12 + length;
      if (kind === 'IEND') {
        yield* move(Keep(size));
        if (yield* dropRest()) findings.found(['other']);
        return;
      }
      if (head[4] < 0x61 || PNG_RENDERING.has(kind)) {
        yield* move(Keep(size));
      } else if (kind === 'eXIf') {
        const block = yield* need(8 + Math.min(length, WINDOW));
        const [categories, orientation] = readExif(block.subarray(8));
        findings.found(categories);
        yield* move(Drop(size));
        if (orientation !== 1 && !orientationWritten) {
          yield Put(pngChunk('eXIf', minimalExif(orientation)));
          orientationWritten = true;
        }
      } else if (PNG_TEXT.has(kind)) {
        const block = yield* need(8 + Math.min(length, 80));
        const data = block.subarray(8);
        const nul = data.indexOf(0);
        const keyword = text(data, 0, nul < 0 ? data.length : nul);
        if (keyword === 'XML:com.adobe.xmp') {
          const scanner = new XmpScanner();
          yield* dropScanned(size, scanner);
          findings.found(scanner.categories());
        } else {
          findings.found([PNG_KEYWORDS.get(keyword) || 'other']);
          yield* move(Drop(size));
        }
      } else {
        findings.found(kind === 'tIME' ? ['time'] : ['other']);
        yield* move(Drop(size));
      }
    }
  }

  const CRC_TABLE = new Uint32Array(256).map((_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });

  function crc32(data) {
    let crc = 0xffffffff;
    for (let i = 0; i < data.length; i++) crc = CRC_TABLE[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
    return (crc ^ 0xffffffff) >>> 0;
  }

  function bigEndian(value) {
    return new Uint8Array([value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff]);
  }

  function pngChunk(kind, data) {
    const body = concat(bytesOf(kind), data);
    return concat(bigEndian(data.length), body, bigEndian(crc32(body)));
  }

  function* dropScanned(size, scanner) {
    while (size) {
      const data = yield Some(Math.min(size, WINDOW));
      if (!data.length) throw new Unclean('truncated');
      scanner.feed(data);
      yield* move(Drop(data.length));
      size -= data.length;
    }
  }

  // ---- WebP (intake/metadata/webp.py) ----

  const WEBP_KEPT = new Set(['VP8 ', 'VP8L', 'ALPH', 'ANIM', 'ANMF', 'ICCP']);
  const EXIF_FLAG = 0x08;
  const XMP_FLAG = 0x04;
  const EXIF_SIZE = 26;

  function* cleanWebp(findings) {
    findings.kind = 'webp';
    const riffEnd = 8 + u32(yield* need(12), 4, true);
    if (riffEnd < 12) throw new Unclean('a RIFF size below its header');
    yield* move(Keep(12));
    let exifAnnounced = false;
    let exifWritten = false;
    while (findings.offset < riffEnd) {
      const head = yield* need(8);
      const kind = text(head, 0, 4);
      const size = u32(head, 4, true);
      const end = findings.offset + 8 + size;
      if (end > riffEnd) throw new Unclean('a chunk runs past the end of the RIFF');
      const padding = Math.min(size & 1, riffEnd - end);
      if (kind === 'VP8X') {
        if (size < 10 || size > 64) throw new Unclean('a VP8X chunk of the wrong size');
        const chunk = yield* need(8 + size + padding);
        exifAnnounced = Boolean(chunk[8] & EXIF_FLAG);
        yield* move(Drop(chunk.length));
        const patched = chunk.slice();
        patched[8] &= ~XMP_FLAG;
        yield Put(patched);
      } else if (WEBP_KEPT.has(kind)) {
        yield* move(Keep(8 + size + padding));
      } else if (kind === 'EXIF') {
        const block = (yield* need(8 + Math.min(size, WINDOW))).subarray(8);
        const [categories, orientation] = readExif(startsWith(block, 'Exif\0\0') ? block.subarray(6) : block);
        findings.found(categories);
        if (exifAnnounced && !exifWritten && size >= EXIF_SIZE) {
          exifWritten = true;
          yield* move(Keep(8));
          yield* move(Drop(EXIF_SIZE));
          yield Put(minimalExif(orientation));
          yield* move(Zero(size + padding - EXIF_SIZE));
        } else {
          yield* junk(size, padding, null);
        }
      } else if (kind === 'XMP ') {
        const scanner = new XmpScanner();
        yield* junk(size, padding, scanner);
        findings.found(scanner.categories());
      } else if (yield* junk(size, padding, null)) {
        findings.found(['other']);
      }
    }
    if (yield* dropRest()) findings.found(['other']);
  }

  /** Turns the chunk at hand into a JUNK chunk with a zeroed payload; answers whether it held more than blanks. */
  function* junk(size, padding, scanner) {
    yield* move(Drop(8));
    yield Put(concat(bytesOf('JUNK'), new Uint8Array([size & 0xff, (size >>> 8) & 0xff, (size >>> 16) & 0xff,
      size >>> 24])));
    let left = size + padding;
    let something = false;
    while (left) {
      const data = yield Some(Math.min(left, WINDOW));
      if (!data.length) throw new Unclean('truncated');
      something = something || !isBlank(data);
      if (scanner) scanner.feed(data);
      yield* move(Zero(data.length));
      left -= data.length;
    }
    return something;
  }

  // ---- HEIF, HEIC, AVIF (intake/metadata/heif.py) ----

  const HEIF_BRANDS = new Set(['mif1', 'mif2', 'msf1', 'heic', 'heix', 'heim', 'heis', 'hevc', 'hevx', 'avif',
    'avis']);
  const HEIF_TOP = new Set(['ftyp', 'meta', 'mdat', 'free', 'skip', 'wide', 'pdin']);
  const EXTENTS_MAX = 4096;
  const ITEMS_MAX = 16;
  /** What an Exif item starts with once cleaned: no offset to its TIFF header, a minimal Exif. */
  const EXIF_ITEM = concat(new Uint8Array(4), minimalExif(1));

  class HeifItem {
    constructor(kind) {
      this.kind = kind;
      this.extents = 0;
      this.exifAt = null;
      this.exif = [];
      this.exifLength = 0;
      this.xmp = new XmpScanner();
    }

    take(data) {
      if (this.kind === 'exif') {
        const part = data.slice(0, WINDOW - this.exifLength); // a copy: a view would hold the whole read
        this.exif.push(part);
        this.exifLength += part.length;
      } else {
        this.xmp.feed(data);
      }
    }

    categories() {
      if (this.kind === 'xmp') return this.xmp.categories();
      const exif = concat(...this.exif);
      if (exif.length < 4 || 4 + u32(exif, 0) >= exif.length) return new Set(isBlank(exif) ? [] : ['other']);
      return readExif(exif.subarray(4 + u32(exif, 0)))[0];
    }
  }

  function* cleanHeif(findings) {
    const ftypSize = u32(yield* need(8), 0);
    if (ftypSize < 16 || ftypSize > 4096) throw new Unclean('not a HEIF file');
    const ftyp = yield* need(ftypSize);
    const brands = [text(ftyp, 8, 12)];
    for (let at = 16; at < ftypSize - 3; at += 4) brands.push(text(ftyp, at, at + 4));
    if (!brands.some((brand) => HEIF_BRANDS.has(brand))) throw new Unclean('not a HEIF file');
    findings.kind = 'heif';
    yield* move(Keep(ftypSize));
    let extents = [];
    let metaSeen = false;
    for (;;) {
      const head = yield Need(16);
      if (!head.length) break;
      const [size, kind, header] = boxHeader(head, 0, head.length);
      if (kind === 'meta') {
        if (metaSeen) throw new Unclean('a second meta box');
        metaSeen = true;
        if (size > HOLD_MAX) throw new Unclean('a meta box too large to read');
        const box = yield* need(size);
        let cleaned;
        [cleaned, extents] = cleanMeta(box, header, findings);
        if (sameBytes(cleaned, box)) {
          yield* move(Keep(size));
        } else {
          yield* move(Drop(size));
          yield Put(cleaned);
        }
      } else if (kind === 'mdat') {
        if (!metaSeen) throw new Unclean('the media data comes before the meta box');
        yield* move(Keep(header));
        const end = size === ALL ? ALL : findings.offset + size - header;
        extents = yield* mediaData(findings, end, extents);
      } else {
        if (!HEIF_TOP.has(kind)) findings.unclean('an unknown top-level box');
        if (size === ALL) yield Keep(ALL);
        else yield* move(Keep(size));
      }
    }
    if (extents.length) findings.unclean('metadata outside the media data');
  }

  /** [size (ALL when the box runs to the end), type, header length] of the box at `at`. */
  function boxHeader(data, at, end) {
    if (at + 8 > end) throw new Unclean('truncated');
    let size = u32(data, at);
    const kind = text(data, at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      if (at + 16 > end) throw new Unclean('truncated');
      size = uint(data, at + 8, 8);
      header = 16;
      if (size > SIZE_MAX) throw new Unclean('a box of an impossible size');
    } else if (size === 0) {
      size = ALL;
    }
    if (size < header) throw new Unclean('a box of an impossible size');
    return [size, kind, header];
  }

  /** [type, content start, end] of each box between `at` and `end`. */
  function* children(data, at, end) {
    while (at < end) {
      const [size, kind, header] = boxHeader(data, at, end);
      const stop = size === ALL ? end : at + size;
      if (stop > end) throw new Unclean('a box larger than its parent');
      yield [kind, at + header, stop];
      at = stop;
    }
  }

  /** The meta box with its idat metadata zeroed, and the file extents of metadata to zero in mdat. */
  function cleanMeta(box, header, findings) {
    let items = new Map();
    let locations = [];
    let idat = [0, 0];
    for (const [kind, start, stop] of children(box, header + 4, box.length)) {
      if (kind === 'iinf') {
        items = new Map([...items, ...itemInfos(box, start, stop)]);
        if (items.size > ITEMS_MAX) throw new Unclean('too many metadata items');
      } else if (kind === 'iloc') locations = itemLocations(box, start, stop);
      else if (kind === 'idat') idat = [start, stop];
    }
    const cleaned = box.slice();
    const boxStart = findings.offset;
    const extents = [];
    for (const [itemId, method, base, spans] of locations) {
      const item = items.get(itemId);
      if (!item) continue;
      if (method === 2) throw new Unclean('a metadata item built from other items');
      if (item.kind === 'exif' && spans.length && spans[0][1] >= EXIF_ITEM.length) {
        item.exifAt = base + spans[0][0] + (method === 1 ? idat[0] : 0);
      }
      for (const [offset, length] of spans) {
        if (length === 0) throw new Unclean('a metadata item stored to the end of the file');
        const start = base + offset + (method === 1 ? idat[0] : 0);
        if (method === 1) {
          if (start + length > idat[1]) throw new Unclean('a metadata item outside its idat');
          item.take(box.subarray(start, start + length));
          cleaned.fill(0, start, start + length);
          if (start === item.exifAt) cleaned.set(EXIF_ITEM, start);
        } else {
          extents.push([start, start + length, item]);
          item.extents += 1;
        }
      }
      if (!item.extents) findings.found(item.categories());
    }
    extents.sort((a, b) => a[0] - b[0]);
    let written = boxStart + box.length;
    for (const [start, stop] of extents) {
      if (start < written) throw new Unclean('metadata extents that overlap or lie before the media data');
      written = stop;
    }
    return [cleaned, extents];
  }

  /** The Exif and XMP items that iinf lists, by item id. */
  function itemInfos(box, start, stop) {
    if (stop - start < 6) throw new Unclean('truncated');
    const items = new Map();
    for (const [kind, at, end] of children(box, start + (box[start] === 0 ? 6 : 8), stop)) {
      const version = at < end ? box[at] : 0;
      if (kind !== 'infe' || (version !== 2 && version !== 3)) continue;
      const itemId = version === 2 ? u16(box, at + 4) : u32(box, at + 4);
      const typeAt = version === 2 ? at + 8 : at + 10;
      if (typeAt + 4 > end) continue;
      const itemType = text(box, typeAt, typeAt + 4);
      const nameEnd = box.subarray(0, end).indexOf(0, typeAt + 4);
      let contentType = '';
      if (nameEnd >= 0) {
        const rest = box.subarray(nameEnd + 1, end);
        const nul = rest.indexOf(0);
        contentType = text(rest, 0, nul < 0 ? rest.length : nul);
      }
      if (itemType === 'Exif') items.set(itemId, new HeifItem('exif'));
      else if (itemType === 'mime' && contentType === 'application/rdf+xml') items.set(itemId, new HeifItem('xmp'));
      if (items.size > ITEMS_MAX) throw new Unclean('too many metadata items');
    }
    return items;
  }

  /** [item id, construction method, base offset, [[extent offset, length]]] of iloc, data in this file only. */
  function itemLocations(box, start, stop) {
    let at = start;
    const read = (size) => {
      if (at + size > stop) throw new Unclean('truncated');
      const value = uint(box, at, size);
      if (value > SIZE_MAX) throw new Unclean('an item location too large');
      at += size;
      return value;
    };
    const version = read(1);
    if (version > 2) throw new Unclean('an iloc box of an unknown version');
    read(3);
    let sizes = read(1);
    const offsetSize = sizes >> 4;
    const lengthSize = sizes & 15;
    sizes = read(1);
    const baseSize = sizes >> 4;
    const indexSize = version ? sizes & 15 : 0;
    if (![offsetSize, lengthSize, baseSize, indexSize].every((size) => [0, 4, 8].includes(size))) {
      throw new Unclean('an iloc box with impossible field sizes');
    }
    const wide = version === 2 ? 4 : 2;
    const locations = [];
    let total = 0;
    for (let remaining = read(wide); remaining > 0; remaining--) {
      const itemId = read(wide);
      const method = version ? read(2) & 15 : 0;
      const reference = read(2);
      const base = read(baseSize);
      const count = read(2);
      total += count;
      if (total > EXTENTS_MAX) throw new Unclean('too many item extents');
      const spans = [];
      for (let i = 0; i < count; i++) {
        read(indexSize);
        spans.push([read(offsetSize), read(lengthSize)]);
      }
      if (reference === 0) locations.push([itemId, method, base, spans]);
    }
    return locations;
  }

  /** Keeps the media data up to `end`, zeroing the metadata extents inside; answers those further on. */
  function* mediaData(findings, end, extents) {
    let done = 0;
    for (const [start, stop, item] of extents) {
      if (start >= end) break;
      if (stop > end) throw new Unclean('metadata that runs past the media data');
      yield* move(Keep(start - findings.offset));
      if (start === item.exifAt) {
        item.take(yield* need(EXIF_ITEM.length));
        yield* move(Drop(EXIF_ITEM.length));
        yield Put(EXIF_ITEM);
      }
      while (findings.offset < stop) {
        const data = yield Some(Math.min(stop - findings.offset, WINDOW));
        if (!data.length) throw new Unclean('truncated');
        item.take(data);
        yield* move(Zero(data.length));
      }
      done += 1;
      item.extents -= 1;
      if (!item.extents) findings.found(item.categories());
    }
    if (end === ALL) yield Keep(ALL);
    else yield* move(Keep(end - findings.offset));
    return extents.slice(done);
  }

  // ---- PDF (intake/metadata/pdf.py) ----

  const INFO_KEYS = new Map([['Author', 'author'], ['Creator', 'device'], ['Producer', 'device'],
    ['CreationDate', 'time'], ['ModDate', 'time'], ['Title', 'other'], ['Subject', 'other'], ['Keywords', 'other']]);
  const NOT_INFO = new Set(['Type', 'Subtype', 'Parent', 'Kids', 'First', 'Last', 'Next', 'Prev', 'Dest', 'A', 'S',
    'Rect', 'Length', 'Root', 'Size', 'Count']);
  const CLUES = ['/XRef', '/ObjStm', '/Metadata', '/Info', '#', ...[...INFO_KEYS.keys()].map((key) => '/' + key)];
  const PDF_WHITE = '\0\t\n\x0c\r ';
  const PDF_DELIMITERS = '()<>[]{}/%';
  const EVENT = new RegExp('(?<![^\\0\\t\\n\\f\\r ()<>\\[\\]{}/%])' +
    '(?:(\\d{1,10})[\\0\\t\\n\\f\\r ]{1,32}\\d{1,10}[\\0\\t\\n\\f\\r ]{1,32}obj|trailer)' +
    '(?=[\\0\\t\\n\\f\\r ()<>\\[\\]{}/%])', 'g');
  const EVENT_TAIL = 96;
  const EOL = /[\r\n]/g;
  const STRING_SPECIAL = /[()\\]/g;
  const OBJECT_END = /[(%]|endobj|stream/g;
  const TRAILER_END = /[(%]|startxref/g;
  const TOKEN = new RegExp('[\\0\\t\\n\\f\\r ]+|%[^\\r\\n]*|<<|>>|<[^>]*>|\\[|\\]|/[^\\0\\t\\n\\f\\r ()<>\\[\\]{}/%]*|' +
    '[^\\0\\t\\n\\f\\r ()<>\\[\\]{}/%]+|[^]', 'y');
  const NAME_ESCAPE = /#([0-9A-Fa-f]{2})/g;
  const ENTRIES_MAX = 4096;
  const REFERENCES_MAX = 4096;

  /** `pattern` (global) searched in `string` from `from`: the match or null. */
  function search(pattern, string, from) {
    pattern.lastIndex = from;
    return pattern.exec(string);
  }

  class PdfDocument {
    constructor() {
      this.infoBlanked = new Set();
      this.infoNamed = new Set();
      this.xmpBlanked = new Set();
      this.xmpNamed = new Set();
      this.objectStreams = false;
    }

    remember(numbers, number, findings) {
      if (numbers.size < REFERENCES_MAX) numbers.add(number);
      else findings.unclean('too many metadata objects');
    }

    check(findings) {
      if ([...this.infoNamed].some((number) => !this.infoBlanked.has(number))) {
        findings.unclean(this.objectStreams ? 'the document information is inside a compressed object stream'
          : 'the document information dictionary was not recognised');
      }
      if ([...this.xmpNamed].some((number) => !this.xmpBlanked.has(number))) {
        findings.unclean('an XMP metadata stream was not recognised');
      }
    }
  }

  const isNumber = (token) => /^[0-9]{1,10}$/.test(token);

  function* cleanPdf(findings) {
    findings.kind = 'pdf';
    const document = new PdfDocument();
    let start = 0;
    for (;;) {
      let window = yield Some(WINDOW);
      if (!window.length) break;
      if (window.length < 2 * EVENT_TAIL) window = yield Need(2 * EVENT_TAIL);
      const event = search(EVENT, latin1(window), start);
      if (event) {
        yield* move(Keep(event.index + event[0].length));
        if (event[1] === undefined) {
          const [body, end] = yield* hold(TRAILER_END);
          noteReferences(entries(body, end), document, findings);
          yield* move(Keep(end));
        } else {
          yield* pdfObject(findings, document, Number(event[1]));
        }
        start = 0;
      } else if (window.length < 2 * EVENT_TAIL) {
        yield* move(Keep(window.length));
      } else {
        // An event may begin in the last bytes: they are read again with the next window, after one byte
        // kept back so that the search still sees what precedes them.
        yield* move(Keep(window.length - EVENT_TAIL - 1));
        start = 1;
      }
    }
    document.check(findings);
  }

  function* pdfObject(findings, document, number) {
    const [body, end, keyword] = yield* hold(OBJECT_END);
    const bodyText = body.substring(0, end);
    const found = CLUES.some((clue) => bodyText.includes(clue)) ? entries(body, end) : [];
    const typeEntry = found.find(([key, kind]) => key === 'Type' && kind === 'name');
    const kind = typeEntry ? typeEntry[4] : '';
    let cleaned = bodyText;
    noteReferences(found, document, findings);
    if (kind === 'ObjStm') {
      document.objectStreams = true;
    } else if (isInformation(found)) {
      cleaned = blankInformation(cleaned, found, findings);
      document.remember(document.infoBlanked, number, findings);
    }
    if (cleaned === bodyText) {
      yield* move(Keep(end));
    } else {
      yield* move(Drop(end));
      yield Put(bytesOf(cleaned));
    }
    if (keyword === 'stream') {
      if (kind === 'Metadata') document.remember(document.xmpBlanked, number, findings);
      yield* move(Keep(keyword.length));
      yield* streamData(findings, kind === 'Metadata');
    }
  }

  /**
   * Holds the bytes ahead up to the first keyword of `endPattern` outside strings and comments; answers
   * them (as latin1 text), where the keyword starts, and the keyword.
   */
  function* hold(endPattern) {
    let size = 4096;
    let scan = 0;
    let depth = 0;
    let comment = false;
    for (;;) {
      const held = latin1(yield Need(size));
      const atEnd = held.length < size;
      while (scan < held.length) {
        if (comment) {
          const lineEnd = search(EOL, held, scan);
          comment = !lineEnd;
          scan = lineEnd ? lineEnd.index + 1 : held.length;
          continue;
        }
        if (depth) {
          const special = search(STRING_SPECIAL, held, scan);
          if (!special) {
            scan = held.length;
          } else if (special[0] === '\\') {
            if (special.index + 1 === held.length && !atEnd) {
              scan = special.index;
              break;
            }
            scan = special.index + 2;
          } else {
            depth += special[0] === '(' ? 1 : -1;
            scan = special.index + 1;
          }
          continue;
        }
        const found = search(endPattern, held, scan);
        if (!found) {
          scan = Math.max(scan, held.length - 8);
          break;
        }
        const token = found[0];
        const start = found.index;
        const stop = start + token.length;
        if (token === '(') {
          depth = 1;
          scan = stop;
        } else if (token === '%') {
          comment = true;
          scan = stop;
        } else if (stop === held.length && !atEnd) {
          scan = start;
          break;
        } else if ((start === 0 || (PDF_WHITE + '()<>[]{}').includes(held[start - 1])) &&
                   (stop === held.length || (PDF_WHITE + PDF_DELIMITERS).includes(held[stop]))) {
          return [held, start, token];
        } else {
          scan = start + 1;
        }
      }
      if (atEnd) throw new Unclean('truncated');
      if (size >= HOLD_MAX) throw new Unclean('an object too large to read');
      size = Math.min(size * 4, HOLD_MAX);
    }
  }

  /** [token, start, stop] of `data.substring(0, end)`, a literal string as one token, without spaces and comments. */
  function* tokens(data, end) {
    const body = data.substring(0, end);
    let at = 0;
    while (at < end) {
      TOKEN.lastIndex = at;
      const token = TOKEN.exec(body)[0];
      let stop = at + token.length;
      if (token === '(') {
        let depth = 1;
        while (depth && stop < end) {
          const special = search(STRING_SPECIAL, body, stop);
          if (!special) {
            stop = end;
            break;
          }
          stop = special.index + 1 + (special[0] === '\\' ? 1 : 0);
          depth += special[0] === '(' ? 1 : special[0] === ')' ? -1 : 0;
        }
        stop = Math.min(stop, end);
      }
      if (!PDF_WHITE.includes(token[0]) && token[0] !== '%') yield [body.substring(at, stop), at, stop];
      at = stop;
    }
  }

  /**
   * The entries of the dictionary that starts `data.substring(0, end)`, if it does: [key, kind of value,
   * value start, value stop, value] with kind one of string, hex, dict, array, name, ref (value: the
   * object number) or word. Empty when it is not a dictionary or has too many entries to be information.
   */
  function entries(data, end) {
    const items = [];
    let depth = 0;
    for (const [token, start, stop] of tokens(data, end)) {
      if (depth === 0) {
        if (token !== '<<') return [];
        depth = 1;
      } else if (depth === 1) {
        if (token === '>>') break;
        if (items.length >= ENTRIES_MAX) return [];
        items.push([token, start, stop]);
        if (token === '<<' || token === '[') depth += 1;
      } else {
        depth += (token === '<<' || token === '[' ? 1 : 0) - (token === '>>' || token === ']' ? 1 : 0);
        if (depth === 1) items[items.length - 1] = [items[items.length - 1][0], items[items.length - 1][1], stop];
      }
    }
    const found = [];
    let at = 0;
    while (at + 1 < items.length && items[at][0][0] === '/') {
      const key = pdfName(items[at][0]);
      const [value, start, stop] = items[at + 1];
      const reference = at + 3 < items.length && items[at + 3][0] === 'R';
      if (reference && isNumber(value) && isNumber(items[at + 2][0])) {
        found.push([key, 'ref', start, items[at + 3][2], value]);
        at += 4;
        continue;
      }
      let kind = { '(': 'string', '<': 'hex', '[': 'array', '/': 'name' }[value[0]] || 'word';
      if (value === '<<') kind = 'dict';
      found.push([key, kind, start, stop, kind === 'name' ? pdfName(value) : value]);
      at += 2;
    }
    return found;
  }

  /** A name token without its slash, its #xx escapes decoded. */
  function pdfName(token) {
    return token.substring(1).replace(NAME_ESCAPE, (_, hex) => String.fromCharCode(parseInt(hex, 16)));
  }

  function noteReferences(found, document, findings) {
    for (const [key, kind, , , value] of found) {
      if (key === 'Info' && kind === 'ref') document.remember(document.infoNamed, Number(value), findings);
      else if (key === 'Info') findings.unclean('document information written inside the trailer');
      else if (key === 'Metadata' && kind === 'ref') document.remember(document.xmpNamed, Number(value), findings);
    }
  }

  function isInformation(found) {
    const keys = new Set(found.map(([key]) => key));
    return [...keys].some((key) => INFO_KEYS.has(key)) && ![...keys].some((key) => NOT_INFO.has(key));
  }

  /** The object with every string value of its dictionary made empty, padded with spaces to its length. */
  function blankInformation(body, found, findings) {
    let cleaned = body;
    for (const [key, kind, start, stop, value] of found) {
      if ((kind === 'string' || kind === 'hex') && !isBlank(bytesOf(value.slice(1, -1)))) {
        const blank = value[0] + (kind === 'string' ? ')' : '>') + ' '.repeat(stop - start - 2);
        cleaned = cleaned.substring(0, start) + blank + cleaned.substring(stop);
        findings.found([INFO_KEYS.get(key) || 'other']);
      } else if (kind === 'ref' && INFO_KEYS.has(key)) {
        findings.unclean('a document information value kept in another object');
      }
    }
    return cleaned;
  }

  const ENDSTREAM = bytesOf('endstream');

  /** Where `pattern` first occurs in `data`, or -1 (a byte search: stream data is most of a PDF). */
  function find(data, pattern) {
    for (let at = data.indexOf(pattern[0]); at >= 0 && at + pattern.length <= data.length;
      at = data.indexOf(pattern[0], at + 1)) {
      let i = 1;
      while (i < pattern.length && data[at + i] === pattern[i]) i++;
      if (i === pattern.length) return at;
    }
    return -1;
  }

  /** Passes a stream's data through up to "endstream" (included); XMP metadata becomes spaces. */
  function* streamData(findings, metadata) {
    const scanner = new XmpScanner();
    for (;;) {
      let data = yield Some(WINDOW);
      if (data.length < 9) data = yield Need(9);
      const end = find(data, ENDSTREAM);
      if (end < 0 && data.length < 9) throw new Unclean('truncated');
      const take = end >= 0 ? end : data.length - 8;
      if (take && metadata) {
        const part = data.subarray(0, take);
        scanner.feed(part);
        yield* move(Drop(take));
        yield Put(part.map((byte) => (byte === 10 || byte === 13 ? byte : 0x20)));
      } else if (take) {
        yield* move(Keep(take));
      }
      if (end >= 0) {
        yield* move(Keep(9));
        break;
      }
    }
    if (metadata) findings.found(scanner.categories());
  }

  // ---- The driver (intake/metadata/__init__.py) ----

  function* sniff(findings) {
    const head = yield Need(12);
    if (startsWith(head, '\xff\xd8\xff')) yield* cleanJpeg(findings);
    else if (sameBytes(head.subarray(0, 8), PNG_SIGNATURE)) yield* cleanPng(findings);
    else if (startsWith(head, 'RIFF') && startsWith(head, 'WEBP', 8)) yield* cleanWebp(findings);
    else if (startsWith(head, 'ftyp', 4)) yield* cleanHeif(findings);
    else if (startsWith(head, '%PDF-')) yield* cleanPdf(findings);
    else throw new Unclean('not a type that is cleaned');
  }

  const ZEROS = new Uint8Array(WINDOW);

  /**
   * Runs the handlers over `blob`; collects the cleaned file's parts when `collect` is true. `someMax`
   * (tests only) caps what a Some request answers, to prove that no decision depends on it.
   */
  async function run(blob, collect, someMax) {
    const size = blob.size;
    const findings = new Findings();
    const steps = sniff(findings);
    const parts = [];
    let cache = { start: 0, bytes: new Uint8Array(0) };
    let position = 0;

    async function read(length) {
      const end = Math.min(position + length, size);
      if (position < cache.start || end > cache.start + cache.bytes.length) {
        const stop = Math.min(position + Math.max(length, WINDOW), size);
        cache = { start: position, bytes: new Uint8Array(await blob.slice(position, stop).arrayBuffer()) };
      }
      return cache.bytes.subarray(position - cache.start, end - cache.start);
    }

    function keep(stop) {
      const last = parts[parts.length - 1];
      if (last && last.stop === position) last.stop = stop;
      else parts.push({ start: position, stop });
    }

    let answer;
    for (;;) {
      let request;
      try {
        const next = steps.next(answer);
        if (next.done) break;
        request = next.value;
      } catch (error) {
        findings.unclean(error instanceof Unclean ? error.reason : 'internal error: ' + error);
        break;
      }
      if (request.op === NEED) {
        answer = await read(request.size);
      } else if (request.op === SOME) {
        answer = await read(Math.min(request.size, someMax));
      } else if (request.op === PUT) {
        if (collect) parts.push(request.data);
        answer = undefined;
      } else {
        const count = Math.min(request.size, size - position);
        if (collect && request.op === KEEP) keep(position + count);
        if (collect && request.op === ZERO) {
          for (let left = count; left > 0; left -= WINDOW) parts.push(ZEROS.subarray(0, Math.min(left, WINDOW)));
        }
        position += count;
        findings.offset = position;
        answer = count;
      }
    }
    // Cleaning gave up (or ended early): what is left passes through unchanged.
    if (collect && position < size) keep(size);
    const report = {
      kind: findings.kind,
      removed: CATEGORIES.filter((category) => findings.removed.has(category)),
      complete: findings.kind !== null && findings.reason === null,
      reason: findings.reason,
    };
    if (!collect) return report;
    const pieces = parts.map((part) => (part instanceof Uint8Array ? part : blob.slice(part.start, part.stop)));
    return { blob: new Blob(pieces, { type: blob.type }), ...report };
  }

  /**
   * What cleaning `blob` would remove, for the page to show before sending.
   * @param {Blob} blob
   * @returns {Promise<{kind: string|null, removed: string[], complete: boolean, reason: string|null}>}
   */
  function inspect(blob) {
    return run(blob, false, WINDOW);
  }

  /**
   * `blob` without its hidden metadata: a new Blob of slices of the original and a few new bytes.
   * @param {Blob} blob
   * @param {{someMax?: number}} [options] for tests only
   * @returns {Promise<{blob: Blob, kind: string|null, removed: string[], complete: boolean, reason: string|null}>}
   */
  function clean(blob, options) {
    return run(blob, true, (options && options.someMax) || WINDOW);
  }

  return Object.freeze({
    CATEGORIES,
    inspect,
    clean,
    /** The category tables, for the tests that hold them equal to the server's. */
    tables: Object.freeze({ EXIF_TAGS, XMP_PATTERNS, IPTC_DATASETS, PNG_KEYWORDS, INFO_KEYS }),
  });
});
