// The pure helpers of static/js/reviewer-keys.js: the key passphrase's strength hint and the URLs
// the grant loop builds from the page's templates.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ROOT } from './helpers.mjs';

const require = createRequire(import.meta.url);
const keys = require(path.join(ROOT, 'static/js/reviewer-keys.js'));

describe('passphraseStrength', () => {
  it('refuses fewer than 12 characters, counted as code points', () => {
    assert.equal(keys.passphraseStrength(''), 'short');
    assert.equal(keys.passphraseStrength('abcdefghijk'), 'short');
    assert.equal(keys.passphraseStrength('😀'.repeat(11)), 'short');
  });
  it('rates repetition weak and long mixed or Korean passphrases strong', () => {
    assert.equal(keys.passphraseStrength('aaaaaaaaaaaaaaaa'), 'weak');
    assert.equal(keys.passphraseStrength('abcdefghijkl'), 'weak');
    assert.equal(keys.passphraseStrength('correct horse battery staple'), 'strong');
    assert.equal(keys.passphraseStrength('봄날 강가에서 만난 하얀 고양이'), 'strong');
  });
});

describe('URL templates', () => {
  it('puts the id in place of the /0 segment, keeping the language', () => {
    assert.equal(keys.withId('/reviewer/api/envelopes/0', 7), '/reviewer/api/envelopes/7');
    assert.equal(keys.withId('/reviewer/api/envelopes/0/grant?lang=ko', 12), '/reviewer/api/envelopes/12/grant?lang=ko');
  });
  it('adds query parameters after the language', () => {
    assert.equal(
      keys.withQuery('/reviewer/api/grants/pending?lang=en', { recipient_id: 3, after: 0 }),
      '/reviewer/api/grants/pending?lang=en&recipient_id=3&after=0',
    );
  });
});
