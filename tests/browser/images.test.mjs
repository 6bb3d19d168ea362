// Responsive pictures in Chromium: on a phone and on a computer screen the browser picks a WebP
// of the width the layout needs, and nothing on the page moves while the pictures load.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { buildSite, serveDir, launch, projectRoot } from './lib.mjs';

/** The widths the theme's `sizes` lead to at one device pixel per CSS pixel. */
const VIEWPORTS = [
  // 375 px: both pictures span the screen less its 1rem margins (343 px), so 480.
  { width: 375, lead: 480, text: 480 },
  // 1280 px: the page's picture is 70rem (1120 px), the text's 42rem (672 px).
  { width: 1280, lead: 1200, text: 800 },
];

/** The sum of the page's layout shifts so far, as Chromium measured them. */
function layoutShift(page) {
  return page.evaluate(
    () =>
      new Promise((ok) => {
        let total = 0;
        new PerformanceObserver((list) => {
          for (const entry of list.getEntries()) total += entry.value;
        }).observe({ type: 'layout-shift', buffered: true });
        setTimeout(() => ok(total), 200);
      }),
  );
}

test('a phone and a computer each get a WebP of the width they show, and nothing moves as it loads', async () => {
  const site = buildSite({ root: join(projectRoot, 'tests/fixtures/pictures') });
  const server = await serveDir(site);
  const browser = await launch();
  try {
    for (const viewport of VIEWPORTS) {
      const page = await browser.newPage({ viewport: { width: viewport.width, height: 800 }, deviceScaleFactor: 1 });
      // Pictures arrive late, as on a slow connection, so a page without reserved space would jump.
      await page.route(/\/pictures\//, async (route) => {
        await new Promise((ok) => setTimeout(ok, 400));
        await route.continue();
      });
      await page.goto(`${server.url}/hall/`, { waitUntil: 'load' });
      await page.evaluate(() => Promise.all([...document.images].map((img) => img.decode())));
      const chosen = await page.evaluate(() =>
        [...document.images].map((img) => ({ src: img.currentSrc, lead: img.classList.contains('page-image') })),
      );
      assert.equal(chosen.length, 2, JSON.stringify(chosen));
      for (const { src, lead } of chosen) {
        const width = lead ? viewport.lead : viewport.text;
        assert.match(src, new RegExp(`/pictures/[a-z-]+-${width}\\.[0-9a-f]+\\.webp$`), `${viewport.width} px: ${src}`);
      }
      assert.equal(await layoutShift(page), 0, `${viewport.width} px: the page moved while pictures loaded`);
      await page.close();
    }
  } finally {
    await browser.close();
    await server.close();
  }
});
