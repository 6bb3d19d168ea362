// The browser's stemmer against the build's: search.js must reduce every word of the shared
// list to the stem that rust-stemmers gives it (src/search/text.rs checks the Rust side).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { projectRoot } from './lib.mjs';

test('search.js stems every word of the shared list as the build does', () => {
  const source = readFileSync(join(projectRoot, 'themes/default/static/search.js'), 'utf8');
  // Without a search box on the page the script only defines the stemmer.
  const stem = runInNewContext(`${source}\n;stemEnglish`, { document: { getElementById: () => null }, window: {} });
  const list = readFileSync(join(projectRoot, 'tests/fixtures/search/stems.txt'), 'utf8').trim().split('\n');
  assert.ok(list.length > 1000);
  const wrong = list
    .map((line) => line.split(' '))
    .filter(([word, expected]) => stem(word) !== expected)
    .map(([word, expected]) => `${word}: ${stem(word)} instead of ${expected}`);
  assert.deepEqual(wrong, []);
});
