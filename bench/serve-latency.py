#!/usr/bin/env python3
"""Edit-to-served latency of `communities serve` (and optionally `hugo server`).

Starts the server on a copy of a site, then repeatedly edits one case study's body (written to
a temporary file and renamed over the page, as editors save) and polls the page's URL over
HTTP until the new text is served. Prints the median, minimum and maximum time from the save
to the first response with the new text. Python standard library only.

    bench/serve-latency.py                          # this repository's own site
    bench/serve-latency.py --pages 1000 --gen-corpus PATH/gen-corpus.py
    bench/serve-latency.py --pages 10000 --gen-corpus PATH/gen-corpus.py \\
        --hugo "$(command -v hugo)" --hugo-theme PATH/peers/hugo

`--gen-corpus` is a generator called as `gen-corpus.py OUT --pages N [--flavor hugo]`;
`--hugo-theme` is copied into the Hugo-flavoured corpus (configuration and layouts).
"""

import argparse
import http.client
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 600.0
EDIT_TIMEOUT = 60.0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path):
    """Status and body of one GET on a fresh connection (servers may close idle ones)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=EDIT_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        # Not up yet, or restarting its answer mid-rebuild: poll again.
        return 0, ""
    finally:
        conn.close()


def wait_until(port, path, done, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, body = fetch(port, path)
        if done(status, body):
            return True
        time.sleep(0.001)
    return False


def copy_repo_site(out):
    for name in ("content", "themes", "static"):
        if (PROJECT / name).is_dir():
            shutil.copytree(PROJECT / name, out / name)
    shutil.copy(PROJECT / "site.yaml", out / "site.yaml")


def pick_page(site):
    """A case study of the site and its URL."""
    pages = sorted(
        p for p in (site / "content" / "case-studies").glob("*.md") if p.name != "_index.md"
    )
    page = pages[len(pages) // 2]
    return page, f"/case-studies/{page.stem}/"


def save(path, text):
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def measure(name, command, site, port, runs, pause):
    """Starts `command`, edits a page `runs` times, and returns the latencies in ms."""
    page, url = pick_page(site)
    original = page.read_text(encoding="utf-8")
    log = open(site.parent / f"{name}.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=site)
    # Drain nothing: output goes to the log file, so a chatty server never blocks.
    try:
        started = time.monotonic()
        if not wait_until(port, url, lambda s, _: s == 200, READY_TIMEOUT):
            sys.exit(f"{name}: {url} was never served (see {log.name})")
        ready = time.monotonic() - started
        latencies = []
        for run in range(runs):
            marker = f"latency-marker-{run}-{time.time_ns()}"
            text = f"{original}\n\nEdited paragraph {marker}.\n"
            before = time.perf_counter()
            save(page, text)
            if not wait_until(port, url, lambda _, body: marker in body, EDIT_TIMEOUT):
                sys.exit(f"{name}: the edit was not served within {EDIT_TIMEOUT} s")
            latencies.append((time.perf_counter() - before) * 1000)
            # An editor's pause between saves: long enough for the watcher to settle and for
            # the work a server leaves until after the page is served (our search index).
            time.sleep(pause)
        return ready, latencies
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        page.write_text(original, encoding="utf-8")


def count_pages(site):
    return sum(1 for _ in (site / "content").rglob("*.md"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, help="generate a corpus of N pages")
    parser.add_argument("--gen-corpus", type=Path, help="the corpus generator script")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--pause",
        type=float,
        default=3.0,
        help="seconds between saves (default 3: an editor's pause between saves)",
    )
    parser.add_argument(
        "--communities",
        type=Path,
        default=PROJECT / "target" / "release" / "communities",
        help="the binary to measure (default: target/release/communities)",
    )
    parser.add_argument("--hugo", type=Path, help="a hugo binary, to measure `hugo server` too")
    parser.add_argument("--hugo-theme", type=Path, help="Hugo configuration and layouts")
    parser.add_argument("--hugo-runs", type=int, default=5)
    args = parser.parse_args()
    if args.pages and not args.gen_corpus:
        parser.error("--pages needs --gen-corpus")
    if args.hugo and not (args.pages and args.hugo_theme):
        parser.error("--hugo needs --pages and --hugo-theme")

    work = Path(tempfile.mkdtemp(prefix="serve-latency-"))
    try:
        site = work / "site"
        if args.pages:
            subprocess.run(
                [sys.executable, args.gen_corpus, site, "--pages", str(args.pages)],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            label = f"{args.pages}-page corpus"
        else:
            site.mkdir()
            copy_repo_site(site)
            label = "this repository's site"
        rows = []
        port = free_port()
        ready, latencies = measure(
            "communities",
            [args.communities, "serve", "--root", site, "--port", str(port)],
            site,
            port,
            args.runs,
            args.pause,
        )
        rows.append(("communities serve", count_pages(site), ready, latencies))
        if args.hugo:
            hugo_site = work / "site-hugo"
            subprocess.run(
                [sys.executable, args.gen_corpus, hugo_site, "--pages", str(args.pages),
                 "--flavor", "hugo"],
                check=True,
                stdout=subprocess.DEVNULL,
            )
            shutil.copytree(args.hugo_theme, hugo_site, dirs_exist_ok=True)
            port = free_port()
            ready, latencies = measure(
                "hugo",
                [args.hugo, "server", "--source", hugo_site, "--bind", "127.0.0.1",
                 "--port", str(port), "--disableLiveReload", "--quiet"],
                hugo_site,
                port,
                args.hugo_runs,
                args.pause,
            )
            rows.append(("hugo server", count_pages(hugo_site), ready, latencies))

        print(f"Edit-to-served latency, {label}:")
        print(f"{'server':<20}{'pages':>7}{'ready s':>9}{'runs':>6}"
              f"{'median ms':>11}{'min ms':>9}{'max ms':>9}")
        for name, pages, ready, latencies in rows:
            print(f"{name:<20}{pages:>7}{ready:>9.2f}{len(latencies):>6}"
                  f"{statistics.median(latencies):>11.1f}{min(latencies):>9.1f}"
                  f"{max(latencies):>9.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
