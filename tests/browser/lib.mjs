// Shared set-up of the browser tests: build a site with the project's binary, serve the
// output on 127.0.0.1, and drive Debian's Chromium with playwright-core.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, extname, resolve, normalize, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { chromium } from 'playwright-core';

export const projectRoot = resolve(import.meta.dirname, '..', '..');

/** The binary under test: COMMUNITIES_BIN, or the debug build that `cargo test` made. */
export function binary() {
  return process.env.COMMUNITIES_BIN ?? join(projectRoot, 'target', 'debug', 'communities');
}

/** Builds `root` (default: this repo's own site) into a fresh folder and returns its path. */
export function buildSite({ root = projectRoot, args = [] } = {}) {
  const output = join(mkdtempSync(join(tmpdir(), 'communities-site-')), 'public');
  execFileSync(binary(), ['build', '--root', root, '--output', output, ...args], { stdio: 'inherit' });
  return output;
}

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.xml': 'application/xml',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.pdf': 'application/pdf',
  '.txt': 'text/plain; charset=utf-8',
};

/**
 * Serves a built site on 127.0.0.1 as a static host would: `/a/` -> `a/index.html`, the
 * site's 404.html for anything missing. `basePath` ("/communities") serves it under a subpath;
 * `headers` are sent with every response, as a host's configured headers are.
 */
export async function serveDir(dir, { basePath = '', headers = {} } = {}) {
  const server = createServer((req, res) => {
    let path = decodeURIComponent(new URL(req.url, 'http://127.0.0.1').pathname);
    if (basePath && path.startsWith(basePath)) path = path.slice(basePath.length) || '/';
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) && file !== dir) file = join(dir, '404.html');
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    let status = 200;
    if (!existsSync(file)) {
      file = join(dir, '404.html');
      status = 404;
    }
    res.writeHead(status, {
      ...headers,
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
    });
    res.end(readFileSync(file));
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const url = `http://127.0.0.1:${server.address().port}${basePath}`;
  return { url, close: () => new Promise((ok) => server.close(ok)) };
}

/** Debian's Chromium, headless, with no network traffic of its own. */
export function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Copies `tests/fixtures/<fixture>` into a fresh folder and runs `communities serve` on it on a
 * free port. Returns the folder, the site's address and the process (stop it with SIGINT).
 */
export async function serveCopy(
  fixture,
  { env = process.env, timeout = 20_000, folders = [] } = {},
) {
  const root = mkdtempSync(join(tmpdir(), 'communities-serve-'));
  cpSync(join(projectRoot, 'tests', 'fixtures', fixture), root, { recursive: true });
  // Folders to exist before serve starts, so that it watches them from the start.
  for (const folder of folders) mkdirSync(join(root, folder), { recursive: true });
  const server = spawn(binary(), ['serve', '--root', root, '--port', '0'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env,
  });
  const url = await new Promise((found, failed) => {
    const timer = setTimeout(() => failed(new Error('serve printed no address')), timeout);
    createInterface({ input: server.stdout }).on('line', (line) => {
      const address = line.match(/http:\/\/\S+/);
      if (address) {
        clearTimeout(timer);
        found(address[0]);
      }
    });
    server.on('exit', (code) => failed(new Error(`serve exited with ${code}`)));
  });
  return { root, url, server };
}
