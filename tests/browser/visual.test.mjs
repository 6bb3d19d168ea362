// What people see: every kind of page at 320 px and 1280 px compared with kept reference
// images, text that stays readable with the WCAG 1.4.12 text spacing, a focus indicator of
// at least 3:1 on every control, and no sideways scrolling at 320 px.
//
// The reference images are in references/. After a change to how pages look, look at the
// new images and keep them: `UPDATE_REFERENCES=1 npm test`, then commit references/.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { buildSite, serveDir, launch, projectRoot } from './lib.mjs';

const REFERENCES = join(import.meta.dirname, 'references');
const UPDATE = process.env.UPDATE_REFERENCES === '1';
const WIDTHS = [320, 1280];
// A pixel differs when a colour channel moves by more than this (of 255): font smoothing
// moves edges by less. A page differs when more than this share of its pixels do.
const CHANNEL_TOLERANCE = 48;
const PIXEL_SHARE_TOLERANCE = 0.01;

// One page of each kind on the `kinds` fixture, whose text changes only with the tests, so
// that the images change only when the theme does.
const KINDS = {
  home: '/',
  page: '/about/',
  section: '/case-studies/',
  'case-study': '/case-studies/botcheston/',
  resource: '/resources/village-hall-toolkit/',
  'report-year': '/annual-report/2020-21/',
  'report-section': '/annual-report/2020-21/grants/',
  'report-full': '/annual-report/2020-21/full/',
  taxonomy: '/areas/',
  term: '/tags/village-halls/',
  'empty-term': '/areas/blaby/',
  search: '/search/',
  'not-found': '/404.html',
};

// The same kinds on this repository's own site, where the text is real and long.
const SITE_PAGES = [
  '/',
  '/about/',
  '/accessibility/',
  '/case-studies/',
  '/case-studies/botcheston-support-network/',
  '/resources/community-building-health-check/',
  '/annual-report/',
  '/annual-report/2020-21/',
  '/annual-report/2020-21/business-recovery-fund/',
  '/annual-report/2020-21/full/',
  '/areas/',
  '/areas/blaby/',
  '/principles/prevention/',
  '/grants/',
  '/search/?q=hall',
  '/404.html',
];

// WCAG 1.4.12: line height 1.5, paragraph spacing 2, letter spacing 0.12 and word spacing
// 0.16 times the font size, as the W3C's test bookmarklet sets them.
const TEXT_SPACING = `
  * { line-height: 1.5 !important; letter-spacing: 0.12em !important; word-spacing: 0.16em !important; }
  p { margin-bottom: 2em !important; }
`;

let browser;
let fixture;
let site;
let siteDir;
let decoder;

before(async () => {
  fixture = await serveDir(buildSite({ root: join(projectRoot, 'tests', 'fixtures', 'kinds') }));
  siteDir = buildSite();
  site = await serveDir(siteDir);
  browser = await launch();
  decoder = await browser.newPage();
  // Both image comparisons decode PNG screenshots in this page with one function.
  await decoder.evaluate(() => {
    window.decodePng = async (base64) => {
      const blob = await (await fetch(`data:image/png;base64,${base64}`)).blob();
      const bitmap = await createImageBitmap(blob);
      const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
      const context = canvas.getContext('2d');
      context.drawImage(bitmap, 0, 0);
      return context.getImageData(0, 0, bitmap.width, bitmap.height);
    };
  });
});

after(async () => {
  await browser?.close();
  await fixture?.close();
  await site?.close();
});

async function withPage(width, fn) {
  const context = await browser.newContext({ viewport: { width, height: 800 }, reducedMotion: 'reduce' });
  try {
    return await fn(await context.newPage());
  } finally {
    await context.close();
  }
}

/** Opens a page and waits until the search page, if it is one, has finished setting up. */
async function open(page, url) {
  await page.goto(url);
  if (url.includes('/search/')) {
    await page.locator('#search-form').waitFor();
    if (url.includes('?q=')) await page.locator('.search-result').first().waitFor();
  }
  await page.evaluate(() => document.fonts.ready);
}

/**
 * Compares two PNG images in the browser: their sizes, and how many pixels differ by more
 * than `tolerance` in some channel.
 */
function compareImages(a, b, tolerance) {
  return decoder.evaluate(
    async ([a, b, tolerance]) => {
      const [x, y] = await Promise.all([decodePng(a), decodePng(b)]);
      if (x.width !== y.width || x.height !== y.height) {
        return { sameSize: false, sizes: [`${x.width}x${x.height}`, `${y.width}x${y.height}`] };
      }
      let differing = 0;
      for (let i = 0; i < x.data.length; i += 4) {
        for (let c = 0; c < 3; c++) {
          if (Math.abs(x.data[i + c] - y.data[i + c]) > tolerance) {
            differing++;
            break;
          }
        }
      }
      return { sameSize: true, share: differing / (x.width * x.height) };
    },
    [a.toString('base64'), b.toString('base64'), tolerance],
  );
}

/** How many pixels change between two images of one place by a contrast of at least 3:1. */
function pixelsChangedAtThreeToOne(before, after) {
  return decoder.evaluate(
    async ([a, b]) => {
      // Relative luminance as WCAG 2 defines it.
      const linear = (v) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      const luminance = (d, i) => 0.2126 * linear(d[i]) + 0.7152 * linear(d[i + 1]) + 0.0722 * linear(d[i + 2]);
      const [x, y] = (await Promise.all([decodePng(a), decodePng(b)])).map((image) => image.data);
      let changed = 0;
      for (let i = 0; i < x.length; i += 4) {
        const [l1, l2] = [luminance(x, i), luminance(y, i)];
        if ((Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05) >= 3) changed++;
      }
      return changed;
    },
    [before.toString('base64'), after.toString('base64')],
  );
}

for (const width of WIDTHS) {
  test(`every kind of page looks as its reference image at ${width} px`, async () => {
    mkdirSync(REFERENCES, { recursive: true });
    const problems = [];
    await withPage(width, async (page) => {
      for (const [kind, path] of Object.entries(KINDS)) {
        await open(page, fixture.url + path);
        const shot = await page.screenshot({ fullPage: true, animations: 'disabled', caret: 'hide' });
        const file = join(REFERENCES, `${kind}-${width}.png`);
        if (UPDATE || !existsSync(file)) {
          writeFileSync(file, shot);
          if (!UPDATE) problems.push(`${kind}: there was no reference image; ${relative(projectRoot, file)} is written now: look at it and commit it`);
          continue;
        }
        const result = await compareImages(readFileSync(file), shot, CHANNEL_TOLERANCE);
        const actual = join(REFERENCES, `${kind}-${width}.actual.png`);
        if (!result.sameSize) {
          problems.push(`${kind} (${path}): the page is ${result.sizes[1]}, its reference ${result.sizes[0]}; see ${relative(projectRoot, actual)}`);
        } else if (result.share > PIXEL_SHARE_TOLERANCE) {
          problems.push(`${kind} (${path}): ${(result.share * 100).toFixed(1)}% of the pixels differ from the reference; see ${relative(projectRoot, actual)}`);
        } else {
          continue;
        }
        // What the page looks like now, beside its reference, to compare by eye.
        writeFileSync(actual, shot);
      }
    });
    for (const problem of problems) console.log(problem);
    assert.deepEqual(problems, [], 'if the change is intended, see how to update the references at the top of this file');
  });
}

for (const width of WIDTHS) {
  test(`with the WCAG text spacing no text is clipped or runs out of its box at ${width} px`, async () => {
    const problems = [];
    await withPage(width, async (page) => {
      for (const path of SITE_PAGES) {
        await open(page, site.url + path);
        await page.addStyleTag({ content: TEXT_SPACING });
        const found = await page.evaluate(() => {
          const found = [];
          const describe = (e) => `${e.tagName.toLowerCase()}${e.className && typeof e.className === 'string' ? '.' + e.className.split(' ')[0] : ''}`;
          if (document.documentElement.scrollWidth > window.innerWidth) {
            found.push(`the page scrolls sideways (${document.documentElement.scrollWidth} px wide)`);
          }
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            if (!node.textContent.trim()) continue;
            const parent = node.parentElement;
            if (parent.closest('.visually-hidden, [hidden], script, noscript')) continue;
            const range = document.createRange();
            range.selectNodeContents(node);
            const text = range.getBoundingClientRect();
            if (!text.width) continue;
            // The nearest box that clips, or that draws its own background: text must stay
            // inside it (white text past a coloured tile cannot be read).
            for (let box = parent; box && box !== document.body; box = box.parentElement) {
              const style = getComputedStyle(box);
              const clips = style.overflowX !== 'visible' || style.overflowY !== 'visible';
              const painted = style.backgroundColor !== 'rgba(0, 0, 0, 0)';
              if (!clips && !painted) continue;
              const r = box.getBoundingClientRect();
              const slack = 1;
              const outside =
                text.left < r.left - slack || text.right > r.right + slack ||
                (clips && (text.top < r.top - slack || text.bottom > r.bottom + slack));
              const scrolls = clips && (box.scrollWidth > box.clientWidth + slack) && style.overflowX === 'auto';
              if (outside && !scrolls) {
                found.push(`"${node.textContent.trim().slice(0, 40)}" runs out of ${describe(box)}`);
              }
              break;
            }
          }
          return found;
        });
        problems.push(...found.map((f) => `${path}: ${f}`));
      }
    });
    for (const problem of problems) console.log(problem);
    assert.deepEqual(problems, []);
  });
}

test('every control shows a focus indicator that changes at least a 1 px ring of it by 3:1 or more', async () => {
  const weak = [];
  let checked = 0;
  const tags = new Set();
  await withPage(1280, async (page) => {
    for (const path of ['/search/?q=hall', '/case-studies/botcheston-support-network/', '/annual-report/2020-21/business-recovery-fund/']) {
      await open(page, site.url + path);
      for (let n = 0; n < 40; n++) {
        await page.keyboard.press('Tab');
        const focused = await page.evaluate(() => {
          const e = document.activeElement;
          if (!e || e === document.body) return null;
          e.scrollIntoView({ block: 'center' });
          const r = e.getBoundingClientRect();
          return {
            tag: e.tagName.toLowerCase(),
            type: e.getAttribute('type') ?? '',
            text: (e.textContent || e.getAttribute('aria-label') || e.id).trim().slice(0, 40),
            rect: { x: r.x, y: r.y, width: r.width, height: r.height },
            visible: e.matches(':focus-visible'),
          };
        });
        if (!focused) break;
        if (!focused.rect.width || !focused.rect.height) continue;
        const margin = 6;
        const clip = {
          x: Math.max(0, focused.rect.x - margin),
          y: Math.max(0, focused.rect.y - margin),
          width: focused.rect.width + 2 * margin,
          height: focused.rect.height + 2 * margin,
        };
        const with_focus = await page.screenshot({ clip, animations: 'disabled', caret: 'hide' });
        // The same place without focus; focusing it again after keyboard use shows the
        // indicator as Tab did.
        await page.evaluate(() => {
          window.__focused = document.activeElement;
          document.activeElement.blur();
        });
        const without = await page.screenshot({ clip, animations: 'disabled', caret: 'hide' });
        await page.evaluate(() => window.__focused.focus());
        const changed = await pixelsChangedAtThreeToOne(without, with_focus);
        const perimeter = 2 * (Math.round(focused.rect.width) + Math.round(focused.rect.height));
        checked++;
        tags.add(focused.type ? `${focused.tag}[${focused.type}]` : focused.tag);
        if (!focused.visible || changed < perimeter) {
          weak.push(`${path}: ${focused.tag} "${focused.text}": ${changed} pixels change by 3:1, fewer than its perimeter of ${perimeter}`);
        }
      }
    }
  });
  for (const problem of weak) console.log(problem);
  assert.ok(checked > 40, `only ${checked} controls were reached`);
  for (const kind of ['a', 'input[search]', 'button[submit]', 'summary', 'input[checkbox]']) {
    assert.ok(tags.has(kind), `no ${kind} was reached: ${[...tags].join(', ')}`);
  }
  assert.deepEqual(weak, []);
});

test('no page of the site scrolls sideways at 320 px', async () => {
  const wide = [];
  await withPage(320, async (page) => {
    for (const path of sitePaths(siteDir)) {
      await page.goto(site.url + path);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > 320) wide.push(`${path} is ${width}px wide`);
    }
  });
  assert.deepEqual(wide, []);
});

/** The site path of every built HTML page that is not an old address sending browsers on. */
function sitePaths(dir) {
  return readdirSync(dir, { recursive: true })
    .filter((f) => f.endsWith('.html'))
    .filter((f) => !/<meta http-equiv="refresh"/i.test(readFileSync(join(dir, f), 'utf8')))
    .map((f) => '/' + f.split(sep).join('/').replace(/(^|\/)index\.html$/, '$1'))
    .sort();
}
