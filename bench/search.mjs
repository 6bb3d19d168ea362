// Bytes fetched and time taken per query in Chromium, for the site's own search and for a
// Pagefind bundle of the same built site. Run by bench/search.sh, which builds both:
//   node bench/search.mjs OURS_SITE_DIR PAGEFIND_SITE_DIR "query one" "query two" ...
// Each query runs in a fresh browser context (empty cache): the search page loads, the query
// is submitted, and every response after the page's HTML is counted until the first page of
// results is shown: as stored (the loopback server does not compress), and as each would be sent
// compressed with gzip (level 6) and brotli (quality 5, a host's on-the-fly setting);
// LIST_REQUESTS=1 lists each request's path and stored size. The time is from
// submitting to results shown: cold (fetching the query's data) and warm (the same query
// again, everything cached; the median of five runs). The site's shared style.css is left out of the bytes.
import { writeFileSync } from 'node:fs';
import { gzipSync, brotliCompressSync, constants } from 'node:zlib';
import { join } from 'node:path';
import { serveDir, launch } from '../tests/browser/lib.mjs';

const [ours, pagefind, ...queries] = process.argv.slice(2);
if (!ours || !pagefind || !queries.length) {
  console.error('usage: node bench/search.mjs OURS_SITE_DIR PAGEFIND_SITE_DIR QUERY...');
  process.exit(2);
}

// Pagefind's JS API on a bare page, showing the top ten results as its default UI would.
writeFileSync(
  join(pagefind, 'pagefind-bench.html'),
  '<!DOCTYPE html><meta charset="utf-8"><title>Pagefind</title><script type="module" src="pagefind-bench.js"></script>',
);
writeFileSync(
  join(pagefind, 'pagefind-bench.js'),
  `const pagefind = await import('./pagefind/pagefind.js');
await pagefind.init();
window.query = async (q) => {
  const search = await pagefind.search(q);
  const top = await Promise.all(search.results.slice(0, 10).map((r) => r.data()));
  return { matches: search.results.length, first: top[0]?.meta?.title ?? '' };
};
window.ready = true;
`,
);

const engines = {
  communities: {
    dir: ours,
    path: '/search/',
    ready: (page) => page.locator('#search-form').waitFor(),
    run: (page, q) =>
      page.evaluate(async (q) => {
        const status = document.getElementById('search-status');
        const input = document.getElementById('search-q');
        const form = document.getElementById('search-form');
        // An empty query first, so the status is blank and its next change is this query's.
        input.value = '';
        form.requestSubmit();
        await new Promise((ok) => setTimeout(ok, 50));
        const done = new Promise((ok) => {
          new MutationObserver((_, observer) => {
            if (/results? for|results\.|Did you mean/.test(status.textContent)) {
              observer.disconnect();
              ok();
            }
          }).observe(status, { childList: true, characterData: true, subtree: true });
        });
        const started = performance.now();
        input.value = q;
        form.requestSubmit();
        await done;
        const ms = performance.now() - started;
        const first = document.querySelector('.search-result h2')?.textContent ?? '';
        return { ms, matches: Number(status.textContent.match(/^\d+/)?.[0] ?? 0), first };
      }, q),
  },
  pagefind: {
    dir: pagefind,
    path: '/pagefind-bench.html',
    ready: (page) => page.waitForFunction(() => window.ready === true),
    run: (page, q) =>
      page.evaluate(async (q) => {
        const started = performance.now();
        const result = await window.query(q);
        return { ms: performance.now() - started, ...result };
      }, q),
  },
};

const browser = await launch();
const rows = [];
for (const [name, engine] of Object.entries(engines)) {
  const server = await serveDir(engine.dir);
  for (const q of queries) {
    const context = await browser.newContext();
    const page = await context.newPage();
    const bytes = { raw: 0, gzip: 0, brotli: 0 };
    const counted = [];
    const requests = [];
    page.on('response', async (response) => {
      const url = new URL(response.url());
      if (response.request().resourceType() === 'document' || /\/style(\.[0-9a-f]+)?\.css$/.test(url.pathname)) return;
      counted.push(
        response
          .body()
          .then((b) => {
            requests.push(`${url.pathname} ${b.length}`);
            bytes.raw += b.length;
            bytes.gzip += gzipSync(b, { level: 6 }).length;
            bytes.brotli += brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 5 } }).length;
          })
          .catch(() => {}),
      );
    });
    await page.goto(server.url + engine.path);
    await engine.ready(page);
    const cold = await engine.run(page, q);
    await Promise.all(counted);
    // Warm: the median of five runs, as one run on a busy machine can stall.
    const warmRuns = [];
    for (let i = 0; i < 5; i++) warmRuns.push((await engine.run(page, q)).ms);
    const warm = { ms: warmRuns.sort((a, b) => a - b)[2] };
    if (process.env.LIST_REQUESTS) console.log(`${name} “${q}”: ${requests.join(', ')}`);
    rows.push({ engine: name, query: q, kib: bytes.raw / 1024, gzip: bytes.gzip / 1024, brotli: bytes.brotli / 1024, requests: counted.length, cold: cold.ms, warm: warm.ms, matches: cold.matches, first: cold.first.trim() });
    await context.close();
  }
  await server.close();
}
await browser.close();

console.log('| engine | query | fetched KiB | gzip KiB | brotli KiB | requests | cold ms | warm ms | matches | first result |');
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows) {
  console.log(`| ${r.engine} | ${r.query} | ${r.kib.toFixed(1)} | ${r.gzip.toFixed(1)} | ${r.brotli.toFixed(1)} | ${r.requests} | ${r.cold.toFixed(1)} | ${r.warm.toFixed(1)} | ${r.matches} | ${r.first.slice(0, 50)} |`);
}
for (const name of Object.keys(engines)) {
  const mine = rows.filter((r) => r.engine === name);
  const mean = (f) => mine.reduce((s, r) => s + f(r), 0) / mine.length;
  const most = (f) => Math.max(...mine.map(f));
  console.log(`${name}: mean ${mean((r) => r.kib).toFixed(1)} KiB fetched (${mean((r) => r.gzip).toFixed(1)} gzip, ${mean((r) => r.brotli).toFixed(1)} brotli; most ${most((r) => r.kib).toFixed(1)} / ${most((r) => r.gzip).toFixed(1)} / ${most((r) => r.brotli).toFixed(1)}), ${mean((r) => r.cold).toFixed(1)} ms cold, ${mean((r) => r.warm).toFixed(1)} ms warm per query`);
}
