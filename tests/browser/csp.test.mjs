// The built site works under the Content-Security-Policy that netlify.toml sends: no inline
// script or style is refused, the stylesheets apply, and hostile content runs nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSite, serveDir, launch, projectRoot } from './lib.mjs';

/** The policy exactly as netlify.toml sends it with every response. */
function policy() {
  const toml = readFileSync(join(projectRoot, 'netlify.toml'), 'utf8');
  const line = toml.split('\n').find((l) => l.trim().startsWith('Content-Security-Policy ='));
  assert.ok(line, 'netlify.toml sets a Content-Security-Policy');
  return JSON.parse(line.slice(line.indexOf('=') + 1).trim());
}

/** Opens each path and returns what the browser refused under the policy, and any page error. */
async function refusals(site, paths, check = async () => {}) {
  const server = await serveDir(site, { headers: { 'content-security-policy': policy() } });
  const browser = await launch();
  const problems = [];
  try {
    const page = await browser.newPage();
    page.on('console', (message) => {
      if (message.text().includes('Content Security Policy')) problems.push(message.text());
    });
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('dialog', (dialog) => {
      problems.push(`a script opened a dialog: ${dialog.message()}`);
      dialog.dismiss();
    });
    for (const path of paths) {
      await page.goto(server.url + path, { waitUntil: 'load' });
      await check(page, path);
    }
  } finally {
    await browser.close();
    await server.close();
  }
  return problems;
}

test('pages of this site load under the policy with their stylesheets applied', async () => {
  const site = buildSite();
  const problems = await refusals(
    site,
    ['/', '/case-studies/', '/case-studies/botcheston-support-network/', '/annual-report/2020-21/', '/search/', '/no-such-page/'],
    async (page, path) => {
      // Each page links only the stylesheets it uses; every one of them must apply.
      const { linked, applied } = await page.evaluate(() => ({
        linked: document.querySelectorAll('link[rel=stylesheet]').length,
        applied: [...document.styleSheets].filter((s) => s.cssRules.length > 0).length,
      }));
      assert.ok(linked >= 1 && applied === linked, `${path}: ${applied} of ${linked} stylesheets apply`);
    },
  );
  assert.deepEqual(problems, []);
});

test('hostile content runs nothing and breaks no rule of the policy', async () => {
  const site = buildSite({ root: join(projectRoot, 'tests/fixtures/hostile') });
  const problems = await refusals(site, ['/', '/case-studies/attack/'], async (page) => {
    const marker = await page.evaluate(() => document.querySelectorAll('[onclick], [onerror], [onload], script:not([type="application/ld+json"])').length);
    assert.equal(marker, 0);
  });
  assert.deepEqual(problems, []);
});
