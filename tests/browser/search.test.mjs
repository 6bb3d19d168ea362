// The search page in Chromium against this repository's own site, built with the binary under
// test: typing, ranking, facets, shared URLs, history, keyboard use, no JavaScript, subpaths.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync, inflateSync } from 'node:zlib';
import { buildSite, serveDir, launch } from './lib.mjs';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let browser;
let site;
let subpath;

before(async () => {
  site = await serveDir(buildSite());
  subpath = await serveDir(buildSite({ args: ['--base-url', 'https://example.org/communities/'] }), {
    basePath: '/communities',
  });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await site?.close();
  await subpath?.close();
});

const status = (page) => page.locator('#search-status');
const titles = (page) => page.locator('.search-result h2').allTextContents();

/** Waits until the live region reports a finished search. */
async function results(page, pattern = /\d+ results? /) {
  await page.locator('#search-status', { hasText: pattern }).waitFor();
  return titles(page);
}

async function count(page, facet, value) {
  const label = page.locator(`label[for="${await page.locator(`input[name="${facet}"][value="${value}"]`).getAttribute('id')}"]`);
  return Number((await label.locator('.search-count').textContent()).replace(/\D/g, ''));
}

test('a typed prefix finds the page whose title holds the whole word, ranked first', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/`);
  await page.getByLabel('Search the site').pressSequentially('Botch');
  const found = await results(page, /for “Botch”/);
  assert.match(found[0], /Botcheston/);
  assert.equal(await page.locator('.search-result mark').first().textContent(), 'Botcheston');
  await page.close();
});

test('a word finds its other forms, case and accents aside', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=VOLUNTÉER`);
  const found = await results(page, /for “VOLUNTÉER”/);
  assert.ok(found.length > 3, `found ${found.length}`);
  const marked = (await page.locator('.search-result mark').allTextContents()).map((m) => m.toLowerCase());
  assert.ok(marked.some((m) => m.startsWith('volunteering') || m === 'volunteers'), marked.join());
  await page.close();
});

test('a filter narrows the results, updates the counts and goes into the URL; the shared URL and the back button restore them', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/`);
  const input = page.getByLabel('Search the site');
  await input.fill('volunteers');
  await input.press('Enter');
  const all = await results(page, /for “volunteers”$/);
  const areaBefore = await count(page, 'area', 'hinckley-and-bosworth');
  const caseStudies = await count(page, 'kind', 'case-study');
  assert.ok(caseStudies > 0 && caseStudies < all.length, `${caseStudies} of ${all.length}`);

  await page.getByLabel(/^Case study/).check();
  const filtered = await results(page, /with the chosen filters/);
  assert.equal(filtered.length, caseStudies);
  assert.ok(filtered.every((t) => all.includes(t)));
  // Counts of the other facets now count case studies only; the kind facet keeps its own.
  assert.ok((await count(page, 'area', 'hinckley-and-bosworth')) <= areaBefore);
  assert.ok((await count(page, 'kind', 'resource')) > 0);
  assert.equal((await status(page).textContent()).match(/^\d+/)[0], String(caseStudies));
  await page.waitForURL(/\?q=volunteers&kind=case-study$/);

  const shared = await browser.newPage();
  await shared.goto(page.url());
  assert.deepEqual(await results(shared, /with the chosen filters/), filtered);
  assert.ok(await shared.getByLabel(/^Case study/).isChecked());
  assert.equal(await shared.getByLabel('Search the site').inputValue(), 'volunteers');
  await shared.close();

  await page.goBack();
  assert.deepEqual(await results(page, /for “volunteers”$/), all);
  assert.equal(await page.getByLabel(/^Case study/).isChecked(), false);
  await page.close();
});

test('filters work without a query, newest first', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?kind=case-study`);
  const found = await results(page, /with the chosen filters/);
  assert.equal(found.length, await count(page, 'kind', 'case-study'));
  const dates = await page.locator('.search-result time').evaluateAll((ts) => ts.map((t) => t.dateTime));
  assert.deepEqual(dates, [...dates].sort().reverse());
  await page.close();
});

test('the keyboard reaches box, filters and results, and focus stays put while results update', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/`);
  await page.getByLabel('Search the site').focus();
  await page.keyboard.type('library');
  await results(page, /for “library”/);
  assert.equal(await page.evaluate(() => document.activeElement.id), 'search-q');
  // The search button, the filters' summary, then the first filter.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  const box = await page.evaluate(() => document.activeElement.name);
  assert.equal(box, 'kind');
  await page.keyboard.press('Space');
  await results(page, /with the chosen filters/);
  assert.equal(await page.evaluate(() => document.activeElement.name), 'kind');
  assert.equal(await status(page).getAttribute('role'), 'status');
  await page.close();
});

test('with JavaScript off the page says so and links to the taxonomy listings', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${site.url}/search/`);
  await assert.doesNotReject(page.getByText('needs JavaScript').waitFor());
  assert.equal(await page.locator('#search-form').isVisible(), false);
  const links = await page.locator('#search-nojs a').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  assert.ok(links.includes('/areas/') && links.includes('/principles/'), links.join());
  await context.close();
});

test('under a base-URL subpath the index loads and results link inside the subpath', async () => {
  const page = await browser.newPage();
  const outside = [];
  page.on('request', (r) => {
    if (!r.url().startsWith(subpath.url)) outside.push(r.url());
  });
  await page.goto(`${subpath.url}/search/?q=botcheston`);
  const found = await results(page, /for “botcheston”/);
  assert.match(found[0], /Botcheston/);
  const href = await page.locator('.search-result h2 a').first().getAttribute('href');
  assert.match(href, /^\/communities\/case-studies\//);
  assert.deepEqual(outside, []);
  await page.close();
});

test('on a phone the filters are folded away until asked for; on a wide screen they are open', async () => {
  for (const [width, open] of [[320, false], [1280, true]]) {
    const context = await browser.newContext({ viewport: { width, height: 700 } });
    const page = await context.newPage();
    await page.goto(`${site.url}/search/?q=hall`);
    await results(page, /for “hall”/);
    assert.equal(await page.locator('#search-filters').evaluate((d) => d.open), open, `${width} px`);
    assert.equal(await page.getByLabel(/^Case study/).isVisible(), open, `${width} px`);
    if (!open) {
      await page.getByText('Filter the results').click();
      assert.ok(await page.getByLabel(/^Case study/).isVisible(), 'the summary opens the filters');
    }
    await context.close();
  }
});

test('results arriving do not shift the page (cumulative layout shift under 0.1 on a phone)', async () => {
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  await page.addInitScript(() => {
    window.__shift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) if (!entry.hadRecentInput) window.__shift += entry.value;
    }).observe({ type: 'layout-shift', buffered: true });
  });
  await page.goto(`${site.url}/search/?q=volunteers`);
  await results(page, /for “volunteers”/);
  await page.waitForTimeout(300);
  const shift = await page.evaluate(() => window.__shift);
  assert.ok(shift < 0.1, `layout shift ${shift.toFixed(3)}`);
  await context.close();
});

test('a word form the site never uses finds the forms it does, marked in the excerpts', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=volunteered`);
  const found = await results(page, /for “volunteered”$/);
  assert.ok(found.length > 3, `found ${found.length}`);
  const marked = new Set((await page.locator('.search-result mark').allTextContents()).map((m) => m.toLowerCase()));
  assert.ok(marked.has('volunteers') && marked.has('volunteering'), [...marked].join());
  assert.equal(await page.locator('#search-correction').isVisible(), false);
  await page.close();
});

test('a typo is corrected to the closest word of the index, and searching for it as typed is offered', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/`);
  await page.getByLabel('Search the site').fill('libary');
  await page.keyboard.press('Enter');
  const found = await results(page, /for “library” \(corrected from “libary”\)$/);
  assert.match(found[0], /librar/i);
  assert.equal(await page.locator('#search-correction').textContent(), 'Showing results for library. Search instead for libary');
  assert.equal(await page.locator('.search-result mark').first().textContent(), 'libraries');

  await page.getByRole('link', { name: 'libary' }).click();
  await status(page).filter({ hasText: 'No results for “libary”. Did you mean “library”?' }).waitFor();
  await page.waitForURL(/\?q=libary&exact=1$/);
  assert.equal(await page.locator('.search-result').count(), 0);
  assert.equal(await page.locator('#search-correction').isVisible(), false);

  await page.locator('#search-suggestions').getByRole('link', { name: 'library' }).click();
  assert.deepEqual(await results(page, /for “library”$/), found);
  await page.close();
});

test('a word that finds few pages keeps its results and is offered a close word that finds many times more', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=chance`);
  const found = await results(page, /for “chance”\. Did you mean “change”\?$/);
  assert.ok(found.length > 0 && found.length < 3, `found ${found.length}`);
  assert.equal(await page.locator('#search-correction').textContent(), 'Did you mean change?');

  await page.locator('#search-correction').getByRole('link', { name: 'change' }).click();
  await results(page, /for “change”$/);
  const changed = Number((await status(page).textContent()).match(/^\d+/)[0]);
  assert.ok(changed >= 10 * found.length, `${changed} against ${found.length}`);
  assert.equal(await page.locator('#search-correction').isVisible(), false);
  await page.waitForURL(/\?q=change$/);
  await page.close();
});

test('no results: the help names the query, offers to clear the filters and links to the listings', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=xylophone&kind=case-study`);
  await status(page).filter({ hasText: 'No results for “xylophone” with the chosen filters.' }).waitFor();
  const help = page.locator('#search-help');
  assert.ok(await help.isVisible());
  const links = await help.getByRole('link').evaluateAll((as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
  assert.deepEqual(links, [['case studies', '/case-studies/'], ['resources', '/resources/']]);

  await help.getByRole('button', { name: 'Clear the filters' }).click();
  await status(page).filter({ hasText: /^No results for “xylophone”\.$/ }).waitFor();
  assert.equal(await page.getByLabel(/^Case study/).isChecked(), false);
  assert.equal(await help.getByRole('button', { name: 'Clear the filters' }).isVisible(), false);
  await page.waitForURL(/\?q=xylophone$/);
  await page.close();
});

test('a query of stop words alone gets a message, not a blank status', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/`);
  await page.getByLabel('Search the site').pressSequentially('the and of');
  await status(page).filter({ hasText: '“the and of” is too common to search for on its own.' }).waitFor();
  assert.equal(await page.locator('.search-result').count(), 0);
  assert.equal(await page.locator('#search-help').isVisible(), false);
  await page.close();
});

test('filter values that would find nothing are not offered, unless chosen', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=botcheston`);
  await results(page, /for “botcheston”$/);
  const offered = await page.locator('.search-facet li:visible .search-count').allTextContents();
  assert.ok(offered.length > 0);
  assert.ok(offered.every((c) => c !== '(0)'), offered.join());
  // The site has annual reports, but none about Botcheston.
  assert.equal(await page.getByLabel(/^Annual report \(/).isVisible(), false);

  // A chosen value that finds nothing stays, so that it can be unchosen.
  await page.goto(`${site.url}/search/?q=botcheston&kind=report-year`);
  await status(page).filter({ hasText: 'No results' }).waitFor();
  assert.ok(await page.getByLabel(/^Annual report \(/).isVisible());
  await page.close();
});

test('excerpts are whole sentences that never run into a heading, with the matched words marked', async () => {
  const page = await browser.newPage();
  await page.goto(`${site.url}/search/?q=crossing+school`);
  const found = await results(page, /for “crossing school”$/);
  assert.ok(found.includes('Social action explained'), found.join());
  const excerpt = page.locator('.search-result', { hasText: 'Social action explained' }).locator('.search-excerpt');
  const text = await excerpt.textContent();
  // The list before the heading "Why it matters", cut to the words around the first match.
  assert.match(text, /crossing near a school$/);
  assert.deepEqual(await excerpt.locator('mark').allTextContents(), ['crossing', 'school']);
  await page.close();
});

test('a filter alone lists the newest pages from the one or two result files that hold them', async () => {
  const page = await browser.newPage();
  const fetched = [];
  page.on('request', (r) => {
    const file = /\/search\/results\/(\d+)\.bin/.exec(r.url());
    if (file) fetched.push(file[1]);
  });
  await page.goto(`${site.url}/search/?kind=case-study`);
  const found = await results(page);
  assert.ok(found.length > 3 && found.every(Boolean), found.join());
  // Page numbers run oldest first, so the newest are the last few of the last result files.
  assert.ok(fetched.length >= 1 && fetched.length <= 2, fetched.join());
  assert.equal(new Set(fetched).size, fetched.length, 'each result file is fetched once');
  await page.close();
});

test('page text in an excerpt stays text: markup in it is shown, never run', async () => {
  const page = await browser.newPage();
  // Result data whose text holds markup, as a page about HTML might.
  await page.route(/\/search\/results\/\d+\.bin/, async (route) => {
    const data = JSON.parse(inflateSync(await (await route.fetch()).body()));
    for (const result of data) {
      result.summary = '';
      result.text = 'Our <b>volunteers</b> wrote <img src=x onerror="window.ran=1"> here.';
    }
    await route.fulfill({ body: deflateSync(JSON.stringify(data)) });
  });
  await page.goto(`${site.url}/search/?q=volunteers`);
  await results(page, /for “volunteers”$/);
  const excerpt = page.locator('.search-excerpt').first();
  assert.equal(await excerpt.textContent(), 'Our <b>volunteers</b> wrote <img src=x onerror="window.ran=1"> here.');
  const elements = await page.locator('.search-excerpt *').evaluateAll((es) => es.map((e) => e.tagName + e.childElementCount));
  assert.ok(elements.length > 0 && elements.every((e) => e === 'MARK0'), elements.join());
  assert.equal(await page.evaluate(() => window.ran), undefined);
  await page.close();
});

test('the live region announces a finished search once, not each keystroke, and keyboard users reach the correction', async () => {
  // On a phone, where the filters are folded, the correction's link comes next after them.
  const context = await browser.newContext({ viewport: { width: 360, height: 640 } });
  const page = await context.newPage();
  await page.goto(`${site.url}/search/`);
  await page.locator('#search-form').waitFor();
  await page.evaluate(() => {
    window.announced = [];
    new MutationObserver(() => window.announced.push(document.getElementById('search-status').textContent)).observe(
      document.getElementById('search-status'),
      { childList: true, characterData: true, subtree: true },
    );
  });
  await page.getByLabel('Search the site').pressSequentially('pandemc');
  await results(page, /corrected from “pandemc”/);
  await page.waitForTimeout(400);
  const announced = await page.evaluate(() => window.announced);
  assert.equal(announced.length, 1, JSON.stringify(announced));
  assert.match(announced[0], /^\d+ results? for “pandemic” \(corrected from “pandemc”\)$/);

  // From the box: the search button, the filters' summary, then the correction's link.
  for (let i = 0; i < 3; i++) await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'pandemc');
  await page.keyboard.press('Enter');
  await status(page).filter({ hasText: 'No results for “pandemc”' }).waitFor();
  await context.close();
});

test('axe finds no WCAG 2.2 A or AA violation in the corrected, offered, empty and stop-word states of search', async () => {
  const page = await browser.newPage();
  for (const [query, pattern] of [
    ['q=libary', /corrected from/],
    ['q=chance', /Did you mean/],
    ['q=xylophone&kind=case-study', /No results/],
    ['q=the', /too common/],
  ]) {
    await page.goto(`${site.url}/search/?${query}`);
    await status(page).filter({ hasText: pattern }).waitFor();
    await page.addScriptTag({ content: AXE_SOURCE });
    const violations = await page.evaluate(() =>
      window.axe
        .run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } })
        .then((r) => r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target).join(', ')}`)),
    );
    assert.deepEqual(violations, [], query);
  }
  await page.close();
});
