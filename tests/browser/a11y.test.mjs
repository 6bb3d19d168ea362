// Accessibility and validity of every built page: axe-core (all WCAG 2.x A and AA rules, and
// its best practices) in Chromium, the Nu Html Checker on every HTML file, what a strict CSP
// would block, keyboard use and printing. Reflow, text spacing, focus contrast and the look
// of each kind of page are in visual.test.mjs.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { buildSite, serveDir, launch, projectRoot } from './lib.mjs';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const VNU_JAR = require.resolve('vnu-jar/build/dist/vnu.jar');
// Every WCAG 2.x A and AA rule, and axe's best practices, which check one h1 per page,
// headings in order and all content inside landmarks.
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

// This repo's own site, and a fixture with what the site lacks: an image, a PDF, pagination.
const SITES = {
  site: projectRoot,
  fixture: join(projectRoot, 'tests', 'fixtures', 'theme'),
};

// One page of each kind on this repo's site.
const ONE_OF_EACH_KIND = [
  '/',
  '/about/',
  '/accessibility/',
  '/case-studies/',
  '/case-studies/botcheston-support-network/',
  '/resources/community-building-health-check/',
  '/annual-report/2020-21/',
  '/annual-report/2020-21/volunteering/',
  '/annual-report/2020-21/full/',
  '/principles/',
  '/principles/prevention/',
  '/areas/blaby/',
  '/search/',
  '/404.html',
];

const built = {};
let browser;

before(async () => {
  for (const [name, root] of Object.entries(SITES)) {
    const dir = buildSite({ root });
    built[name] = { dir, server: await serveDir(dir), pages: htmlFiles(dir) };
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const site of Object.values(built)) await site.server.close();
});

/** A page that only sends the browser on to another (an old address kept as an alias). */
function isRedirect(file) {
  return /<meta http-equiv="refresh"/i.test(readFileSync(file, 'utf8'));
}

function htmlFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.html'))
    .map((f) => join(dir, f))
    .sort();
}

/** The site path a built file is served at: `a/index.html` -> `/a/`. */
function sitePath(dir, file) {
  const rel = relative(dir, file).split(sep).join('/');
  return '/' + rel.replace(/(^|\/)index\.html$/, '$1');
}

async function withPage(options, fn) {
  const context = await browser.newContext(options);
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Each axe violation as one readable line per offending element. */
function describeViolations(path, violations) {
  return violations.flatMap((v) =>
    v.nodes.map((n) => `${path}: ${v.id} (${v.impact}): ${v.help}\n    at ${n.target.join(' ')}\n    ${n.failureSummary?.replace(/\n/g, '\n    ')}`),
  );
}

test('the site has every kind of page the checks are meant to cover', () => {
  const paths = new Set(built.site.pages.map((f) => sitePath(built.site.dir, f)));
  for (const path of ONE_OF_EACH_KIND) {
    assert.ok(paths.has(path), `${path} was not built`);
  }
  const fixturePaths = built.fixture.pages.map((f) => sitePath(built.fixture.dir, f));
  assert.ok(fixturePaths.includes('/case-studies/page/2/'), 'the fixture has a second listing page');
});

for (const name of Object.keys(SITES)) {
  test(`axe finds no WCAG 2.2 A or AA violation, nor a best-practice one, on any page of the ${name}`, async () => {
    const { dir, server, pages } = built[name];
    const problems = [];
    await withPage({ viewport: { width: 1280, height: 900 } }, async (page) => {
      // A redirect leaves before axe could look at it; the Nu Html Checker still reads it.
      for (const file of pages.filter((f) => !isRedirect(f))) {
        const path = sitePath(dir, file);
        await page.goto(server.url + path);
        await page.addScriptTag({ content: AXE_SOURCE });
        const violations = await page.evaluate(
          (tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] }).then((r) => r.violations),
          AXE_TAGS,
        );
        problems.push(...describeViolations(path, violations));
      }
    });
    for (const problem of problems) console.log(problem);
    assert.equal(problems.length, 0, `${problems.length} axe violations, listed above`);
  });
}

test('the Nu Html Checker finds no error in any built HTML file', () => {
  const files = Object.values(built).flatMap((site) => site.pages);
  let report;
  try {
    execFileSync('java', ['-jar', VNU_JAR, '--errors-only', '--format', 'json', ...files], {
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 64 * 1024 * 1024,
    });
    report = { messages: [] };
  } catch (error) {
    // vnu exits non-zero when it finds errors and writes its JSON report to stderr.
    report = JSON.parse(error.stderr.toString());
  }
  const problems = report.messages.map(
    (m) => `${m.url?.replace('file:', '')}:${m.lastLine ?? '?'}:${m.firstColumn ?? m.lastColumn ?? '?'}: ${m.type}: ${m.message}`,
  );
  for (const problem of problems) console.log(problem);
  assert.ok(files.length > 100, `only ${files.length} HTML files were checked`);
  assert.equal(problems.length, 0, `${problems.length} HTML errors, listed above`);
});

test('no page has inline scripts or styles, or loads anything from another host', () => {
  // What a strict Content-Security-Policy (default-src 'self') would block.
  const forbidden = [
    // Data blocks such as JSON-LD are not run, so CSP allows them.
    [/<script(?![^>]*\s(?:src=|type="application\/ld\+json"))[^>]*>/i, 'an inline script'],
    [/<style[\s>]/i, 'a style element'],
    [/<[a-z][^>]*\sstyle=/i, 'a style attribute'],
    [/<[a-z][^>]*\son[a-z]+=/i, 'an event handler attribute'],
    [/<(?:script|img|iframe)\s[^>]*src="(?:https?:)?\/\//i, 'a resource from another host'],
    // Canonical and alternate links name addresses; only these rel values load something.
    [/<link\s(?=[^>]*rel="(?:stylesheet|icon|preload|modulepreload|manifest)")[^>]*href="(?:https?:)?\/\//i, 'a resource from another host'],
  ];
  const problems = [];
  for (const file of Object.values(built).flatMap((site) => site.pages)) {
    const html = readFileSync(file, 'utf8');
    for (const [pattern, what] of forbidden) {
      if (pattern.test(html)) problems.push(`${file}: ${what}: ${html.match(pattern)[0]}`);
    }
  }
  for (const problem of problems) console.log(problem);
  assert.equal(problems.length, 0, `${problems.length} pages need something a strict CSP blocks`);
});

test('the skip link is the first thing Tab reaches and moves focus to the main content', async () => {
  const { server } = built.site;
  await withPage({ viewport: { width: 1280, height: 900 } }, async (page) => {
    for (const path of ['/', '/case-studies/botcheston-support-network/']) {
      await page.goto(server.url + path);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => ({
        text: document.activeElement.textContent.trim(),
        visible: document.activeElement.getBoundingClientRect().top >= 0,
      }));
      assert.deepEqual(focused, { text: 'Skip to main content', visible: true }, path);
      await page.keyboard.press('Enter');
      assert.equal(await page.evaluate(() => document.activeElement.id), 'main', path);
      // The next Tab continues inside main, not back at the header.
      await page.keyboard.press('Tab');
      assert.ok(
        await page.evaluate(() => document.querySelector('main').contains(document.activeElement)),
        `${path}: Tab after the skip link left the main content`,
      );
    }
  });
});

test('every link shows the yellow and black focus style when reached by Tab', async () => {
  const unstyled = [];
  let checked = 0;
  await withPage({ viewport: { width: 1280, height: 900 } }, async (page) => {
    for (const [site, path] of [
      ['site', '/case-studies/botcheston-support-network/'],
      ['fixture', '/case-studies/page/2/'],
    ]) {
      await page.goto(built[site].server.url + path);
      for (let n = 0; n < 60; n++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const e = document.activeElement;
          const style = getComputedStyle(e);
          return { tag: e.tagName, text: e.textContent.trim(), background: style.backgroundColor, color: style.color };
        });
        if (focused.tag !== 'A') break;
        checked++;
        if (focused.background !== 'rgb(255, 221, 0)' || focused.color !== 'rgb(11, 12, 12)') {
          unstyled.push(`${path}: "${focused.text}" is ${focused.color} on ${focused.background}`);
        }
      }
    }
  });
  assert.ok(checked > 20, `only ${checked} links were reached`);
  assert.deepEqual(unstyled, []);
});

test('the whole report prints without the site navigation and with every section', async () => {
  const { server } = built.site;
  await withPage({}, async (page) => {
    await page.goto(server.url + '/annual-report/2020-21/');
    const sections = await page.$$eval('.report-contents li > a', (links) => links.map((a) => a.textContent.trim()));
    await page.goto(server.url + '/annual-report/2020-21/full/');
    await page.emulateMedia({ media: 'print' });
    const printed = await page.evaluate(() => ({
      header: getComputedStyle(document.querySelector('.site-header')).display,
      footer: getComputedStyle(document.querySelector('.site-footer')).display,
      sections: [...document.querySelectorAll('.report-part > h2')].map((h) => h.textContent.trim()),
    }));
    assert.ok(sections.length > 1, 'the report year lists its sections');
    assert.deepEqual(printed, { header: 'none', footer: 'none', sections });
  });
});
