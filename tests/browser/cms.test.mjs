// The content editor in Chromium: `communities serve` offers Decap CMS at /admin/ against a copy
// of a fixture site, under netlify.toml's policy for /admin/* (with the served copy of the
// editor in place of the CDN). A case study made through the form is saved to disk, passes
// `check` and is published at its address; entries that `check` would refuse are not saved.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { binary, launch, projectRoot, serveCopy } from './lib.mjs';

const TIMEOUT = 30_000;

let root;
let server;
let url;
let browser;

before(async () => {
  // The editor from the npm package the tests install, as serve offers it offline.
  const dist = join(import.meta.dirname, 'node_modules', 'decap-cms', 'dist');
  ({ root, url, server } = await serveCopy('serve', { env: { ...process.env, COMMUNITIES_CMS_DIST: dist }, timeout: TIMEOUT }));
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill('SIGINT');
  rmSync(root, { recursive: true, force: true });
});

/** netlify.toml's policy for /admin/*, with the CDN's origin served by serve itself. */
function adminPolicy() {
  const lines = readFileSync(join(projectRoot, 'netlify.toml'), 'utf8').split('\n');
  const block = lines.findIndex((l) => l.trim() === 'for = "/admin/*"');
  assert.ok(block >= 0, 'netlify.toml has headers for /admin/*');
  const line = lines.slice(block).find((l) => l.trim().startsWith('Content-Security-Policy ='));
  return JSON.parse(line.slice(line.indexOf('=') + 1).trim());
}

/** A new case study's form, with what the policy refused collected in `refused`. */
async function newCaseStudy() {
  const page = await browser.newPage();
  const refused = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) refused.push(message.text());
  });
  page.on('pageerror', (error) => refused.push(`page error: ${error.message}`));
  const policy = adminPolicy();
  await page.route(`${url}admin/**`, async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), 'content-security-policy': policy } });
  });
  await page.goto(`${url}admin/`);
  // The local backend needs no account: the button only enters.
  await page.getByRole('button', { name: 'Login' }).click({ timeout: TIMEOUT });
  await page.goto(`${url}admin/#/collections/case-studies/new`);
  await page.getByLabel('Title', { exact: true }).waitFor({ timeout: TIMEOUT });
  return { page, refused };
}

async function choose(page, label, typed) {
  await page.getByLabel(label).fill(typed);
  await page.keyboard.press('Enter');
}

async function publish(page) {
  await page.getByRole('button', { name: 'Publish' }).click();
  await page.getByText('Publish now').click();
}

async function eventually(check, what) {
  const until = Date.now() + TIMEOUT;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > until) assert.fail(`timed out waiting for ${what}`);
    await new Promise((ok) => setTimeout(ok, 200));
  }
}

test('a case study made in the form is saved as new names it, passes check and is published', async () => {
  const { page, refused } = await newCaseStudy();
  await page.getByLabel('Title', { exact: true }).fill('Café: a repair shop in Shepshed');
  await page.getByLabel('Summary', { exact: true }).fill('Volunteers fix what people bring, over tea.');
  await page.getByLabel('Date', { exact: true }).fill('2026-11-20');
  await choose(page, 'Area (optional)', 'Charnwood');
  await choose(page, 'Principles (optional)', 'Participation');
  await choose(page, 'Principles (optional)', 'Prevention');
  await page.locator('[data-slate-editor]').click();
  await page.keyboard.type('People bring broken things and mend them together.');

  // The preview beside the form is styled by the site's own stylesheet.
  const previewStyles = await eventually(async () => {
    for (const frame of page.frames()) {
      const sheets = await frame.evaluate(() => [...document.querySelectorAll('link[rel="stylesheet"]')].map((l) => l.href)).catch(() => []);
      if (sheets.some((href) => /\/style\.[0-9a-f]{10}\.css$/.test(href))) return sheets;
    }
    return null;
  }, "the preview's stylesheets");
  assert.ok(previewStyles.length >= 1);

  await publish(page);

  const file = join(root, 'content', 'case-studies', 'cafe-a-repair-shop-in-shepshed.md');
  await eventually(() => existsSync(file), 'the file on disk');
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^---\ntitle: "?Café: a repair shop in Shepshed"?\n/);
  assert.match(text, /\nsummary: "?Volunteers fix what people bring, over tea\."?\n/);
  assert.match(text, /\ndate: "?2026-11-20"?\n/);
  assert.match(text, /\narea: "?charnwood"?\n/);
  assert.match(text, /\nprinciples:\n {2}- participation\n {2}- prevention\n/);
  assert.match(text, /\n---\nPeople bring broken things and mend them together\.\n?$/);

  execFileSync(binary(), ['check', '--root', root], { stdio: 'pipe' });

  const published = await eventually(async () => {
    const response = await fetch(`${url}case-studies/cafe-a-repair-shop-in-shepshed/`);
    return response.ok ? response.text() : null;
  }, 'the page at its address');
  assert.match(published, /<h1[^>]*>Café: a repair shop in Shepshed<\/h1>/);
  assert.match(published, /Charnwood/);

  assert.deepEqual(refused, [], 'nothing broke the policy for /admin/*');
  await page.close();
});

test('an entry without a required field is refused, and one that check rejects is not saved', async () => {
  const { page } = await newCaseStudy();
  await page.getByLabel('Title', { exact: true }).fill('Walking group in Loughborough');
  await page.getByLabel('Date', { exact: true }).fill('2026-11-21');
  await publish(page);
  await page.getByText(/missed a required field/i).waitFor({ timeout: TIMEOUT });
  const file = join(root, 'content', 'case-studies', 'walking-group-in-loughborough.md');
  assert.equal(existsSync(file), false);

  // Filled in, but with an old address that the site already uses: only `check` knows that.
  await page.getByLabel('Summary', { exact: true }).fill('A weekly walk from the library.');
  await page.getByLabel('Aliases (optional)').fill('/resources/');
  await publish(page);
  const refusal = page.getByText(/content\/case-studies\/walking-group-in-loughborough\.md:\d+:\d+: error:/);
  await refusal.waitFor({ timeout: TIMEOUT });
  assert.equal(existsSync(file), false);
  await page.close();
});
