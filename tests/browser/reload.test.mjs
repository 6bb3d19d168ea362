// Live reload in Chromium: a page open in `communities serve` shows an edit by itself, and a
// stylesheet edit swaps the stylesheet without reloading the page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { launch, serveCopy } from './lib.mjs';

const TIMEOUT = 20_000;
const CASE_STUDY = 'content/case-studies/croft-community-fridge.md';

let root;
let server;
let url;
let browser;

before(async () => {
  // The site's own theme folder, watched from the start, for the stylesheet edit below.
  ({ root, url, server } = await serveCopy('serve', {
    timeout: TIMEOUT,
    folders: [join('themes', 'default', 'static')],
  }));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  rmSync(root, { recursive: true, force: true });
});

test('an open page reloads by itself after its file is edited', async () => {
  const page = await browser.newPage();
  await page.goto(`${url}case-studies/croft-community-fridge/`);
  // Gone after a reload, so it tells a reload from an update in place.
  await page.evaluate(() => { window.notReloaded = true; });
  const file = join(root, CASE_STUDY);
  writeFileSync(file, readFileSync(file, 'utf8').replace('## The starting point', '## Where it began'));
  await page.waitForFunction(
    () => document.querySelector('h2#where-it-began') !== null,
    null,
    { timeout: TIMEOUT },
  );
  assert.equal(await page.evaluate(() => window.notReloaded), undefined);
  await page.close();
});

test('a stylesheet edit swaps the stylesheet without reloading', async () => {
  const page = await browser.newPage();
  await page.goto(url);
  await page.evaluate(() => { window.notReloaded = true; });
  writeFileSync(join(root, 'themes', 'default', 'static', 'style.css'), 'body { border-top: 7px solid rgb(0, 94, 165); }\n');
  await page.waitForFunction(
    () => getComputedStyle(document.body).borderTopWidth === '7px',
    null,
    { timeout: TIMEOUT },
  );
  assert.equal(await page.evaluate(() => window.notReloaded), true);
  await page.close();
});

test('the panel of warnings shows in open pages and hides when asked', async () => {
  const page = await browser.newPage();
  await page.goto(`${url}about/`);
  const file = join(root, CASE_STUDY);
  writeFileSync(file, readFileSync(file, 'utf8').replace('## What happened', '<script>alert(1)</script>\n\n## What happened'));
  await page.waitForSelector('.communities-panel', { timeout: TIMEOUT });
  const position = await page.$eval('.communities-panel', (panel) => getComputedStyle(panel).position);
  assert.equal(position, 'fixed', 'the panel stylesheet applies');
  await page.click('.communities-panel-close');
  assert.equal(await page.$('.communities-panel'), null);
  await page.close();
});
