#!/usr/bin/env python3
"""Edit-to-served latency of `communities serve` and `hugo server`, for every kind of edit.

Generates the synthetic corpus (bench/gen_corpus.py) in both flavours, starts each server on
its copy, and for each kind of edit saves ten or more times (written to a temporary file and
renamed over the page, as editors' tools save), with saves 0.3 s apart and 3 s apart. For each
save it polls over HTTP and records the time from the save to the edited page served with the
change ("page"), and to the last affected page (listing, term page, other pages of the same
template) served with it ("last"). A save overtaken by the next one (0.3 s apart) counts as
served when the server shows that later save, since servers apply saves in order. Once a
save is not shown within the timeout, the kind's remaining saves at that pace are not made:
a server that cannot keep up would otherwise take hours at 10,000 pages. Kinds are
SETTLE seconds apart.

Kinds: body, title (front matter: the page, its section listing and its first tag's page),
tag (a new tag: the page and the new term page), add, remove and rename a case study (the
page and the section listing), bundle (a resource's attachment), template (the case study
template: the page and another case study), stylesheet (the stylesheet the page links),
config (site.yaml or hugo.toml's title: the page and the listing).

    bench/serve-latency.py --pages 1000
    bench/serve-latency.py --pages 1000 --hugo "$(command -v hugo)" --edits 10

Prints one table row per server, kind and pace: median and maximum in ms of "page" and
"last", and the server's resident memory after the run. Python standard library only.
"""

import argparse
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
READY_TIMEOUT = 900.0
FETCH_TIMEOUT = 60.0
POLL = 0.002
# Between kinds: long enough for a server to rebuild the whole site after the last kind's
# saves, so that each kind starts from a server with nothing left to do.
SETTLE = 5.0
KINDS = ["body", "title", "tag", "add", "remove", "rename", "bundle", "template",
         "stylesheet", "config"]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port, path):
    """Status and body of one GET on a fresh connection (servers may close idle ones)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=FETCH_TIMEOUT)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    except (OSError, http.client.HTTPException):
        return 0, ""
    finally:
        conn.close()


def save(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.saving")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def set_line(text, key, value):
    """Replaces the first front matter line `key: ...`."""
    return re.sub(rf"^{key}: .*$", f"{key}: {value}", text, count=1, flags=re.M)


def case_studies_newest_first(site):
    dated = []
    for page in (site / "content" / "case-studies").glob("*.md"):
        if page.name == "_index.md":
            continue
        found = re.search(r'^date: "?(\d{4}-\d\d-\d\d)', page.read_text(encoding="utf-8"), re.M)
        if found:
            dated.append((found.group(1), page.name, page))
    return [page for _, _, page in sorted(dated, reverse=True)]


def unlinked(site, pages):
    """The first of `pages` no page links to, so renaming it breaks no link, and where it
    stands among them."""
    text = "\n".join(p.read_text(encoding="utf-8") for p in (site / "content").rglob("*.md"))
    return next((i, p) for i, p in enumerate(pages) if f"case-studies/{p.name}" not in text)


def listing(position):
    """The section listing page that shows the case study at `position`, newest first: both
    generators list ten a page and number further pages /page/N/."""
    n = position // 10 + 1
    return "/case-studies/" if n == 1 else f"/case-studies/page/{n}/"


class Site:
    """One server's copy of the corpus and the edits it can take."""

    def __init__(self, root, flavor, port):
        self.root = root
        self.flavor = flavor
        self.port = port
        newest = case_studies_newest_first(root)
        # The newest is first in its listing and term pages; renaming takes the newest that no
        # page links to, and looks for it on the listing page that shows it.
        self.page = newest[0]
        self.original = self.page.read_text(encoding="utf-8")
        self.date = re.search(r"^date: (.*)$", self.original, re.M).group(1)
        self.slug = self.page.stem
        position, self.moving = unlinked(root, newest)
        self.moving_listing = listing(position)
        self.other = sorted(p for p in self.page.parent.glob("*.md")
                            if p.name not in ("_index.md", self.page.name))[0]
        tags = re.search(r"^tags: \[\"([^\"]+)\"", self.original, re.M)
        self.tag = tags.group(1)
        bundle = next(d for d in sorted((root / "content" / "resources").iterdir())
                      if d.is_dir() and any(f.suffix == ".pdf" for f in d.iterdir()))
        self.attachment = next(f for f in sorted(bundle.iterdir()) if f.suffix == ".pdf")
        self.attachment_url = f"/resources/{bundle.name}/{self.attachment.name}"
        if flavor == "communities":
            self.template = root / "themes/default/templates/case-study.html"
            self.template_text = (PROJECT / "themes/default/templates/case-study.html").read_text()
            self.block = "{% block content %}"
            self.stylesheet = root / "themes/default/static/style.css"
            self.stylesheet_text = (PROJECT / "themes/default/static/style.css").read_text()
            self.config = root / "site.yaml"
        else:
            self.template = root / "layouts/page.html"
            self.template_text = self.template.read_text()
            self.block = '{{ define "main" }}'
            self.stylesheet = root / "static/style.css"
            self.stylesheet_text = "body { margin: 0 auto; max-width: 40rem; }\n"
            save(self.stylesheet, self.stylesheet_text)
            self.config = root / "hugo.toml"
        self.config_text = self.config.read_text()

    def url(self, slug):
        return f"/case-studies/{slug}/"

    def edit(self, kind, marker, i):
        """Makes save `i` of `kind`; returns the checks for it: lists of (path, predicate)
        for the edited page and for every affected page."""
        url = self.url(self.slug)
        has = lambda status, body: status == 200 and marker in body
        if kind == "body":
            save(self.page, f"{self.original}\n\nEdited paragraph {marker}.\n")
            return [(url, has)], [(url, has)]
        if kind == "title":
            save(self.page, set_line(self.original, "title", f'"Title {marker}"'))
            return [(url, has)], [(url, has), ("/case-studies/", has),
                                  (f"/tags/{self.tag}/", has)]
        if kind == "tag":
            save(self.page, set_line(self.original, "tags", f'["{self.tag}", "{marker}"]'))
            shows = lambda status, body: status == 200 and url in body
            return [(url, has)], [(url, has), (f"/tags/{marker}/", shows)]
        if kind in ("add", "remove"):
            new = self.page.with_name(f"{marker}.md")
            if kind == "add":
                # A copy of the page without its old addresses, which stay the original's.
                text = re.sub(r"^aliases: .*\n", "", self.original, flags=re.M)
                # Titled to come before every page of its date, so that added page i stands
                # at position i of the listing (past ten, on its second page).
                text = set_line(text, "title", f'"A new page {marker}"')
                # The same day as the newest (a later one may be in the future to Hugo).
                save(new, set_line(text, "date", self.date))
                served = lambda status, body: status == 200
                listed = lambda status, body: self.url(marker) in body
                return ([(self.url(marker), served)],
                        [(self.url(marker), served), (listing(i), listed)])
            else:
                new.unlink()
                served = lambda status, body: status == 404
                listed = lambda status, body: status == 200 and self.url(marker) not in body
            return ([(self.url(marker), served)],
                    [(self.url(marker), served), ("/case-studies/", listed)])
        if kind == "rename":
            moved = self.moving.with_name(f"{marker}.md")
            os.replace(self.moving, moved)
            self.moving = moved
            served = lambda status, body: status == 200
            listed = lambda status, body: self.url(marker) in body
            return ([(self.url(marker), served)],
                    [(self.url(marker), served), (self.moving_listing, listed)])
        if kind == "bundle":
            save(self.attachment, f"%PDF-1.4\n% {marker}\n")
            return [(self.attachment_url, has)], [(self.attachment_url, has)]
        if kind == "template":
            text = self.template_text.replace(self.block, f"{self.block}<i hidden>{marker}</i>", 1)
            save(self.template, text)
            return [(url, has)], [(url, has), (self.url(self.other.stem), has)]
        if kind == "stylesheet":
            save(self.stylesheet, f"{self.stylesheet_text}\n.{marker} {{ color: red; }}\n")
            check = [(url, lambda status, body: status == 200 and self.styled(body, marker))]
            return check, check
        if kind == "config":
            title = "Leicestershire Communities"
            save(self.config, self.config_text.replace(title, f"{title} {marker}", 1))
            return [(url, has)], [(url, has), ("/case-studies/", has)]
        raise ValueError(kind)

    def styled(self, html, marker):
        for href in re.findall(r'<link rel="stylesheet" href="([^"]+\.css)"', html):
            path = re.sub(r"^https?://[^/]+", "", href)
            status, css = fetch(self.port, path)
            if status == 200 and marker in css:
                return True
        return False

    def restore(self, kind):
        """Puts the site back as it was before `kind`'s saves."""
        if kind in ("body", "title", "tag"):
            save(self.page, self.original)
        elif kind == "rename":
            original = self.moving.with_name(f"{self.moving_name}")
            os.replace(self.moving, original)
            self.moving = original
        elif kind == "template":
            if self.flavor == "communities":
                self.template.unlink()
            else:
                save(self.template, self.template_text)
        elif kind == "stylesheet":
            save(self.stylesheet, self.stylesheet_text)
        elif kind == "config":
            save(self.config, self.config_text)


def first_passing(port, checks_from, deadline):
    """Polls until one of the check lists from save i onwards all pass; returns the time."""
    while time.monotonic() < deadline:
        cache = {}
        for checks in checks_from():
            ok = True
            for path, predicate in checks:
                if path not in cache:
                    cache[path] = fetch(port, path)
                if not predicate(*cache[path]):
                    ok = False
                    break
            if ok:
                return time.perf_counter()
        time.sleep(POLL)
    return None


def run_kind(site, kind, edits, pause, prefix, edit_timeout):
    """Saves `edits` times `pause` apart; returns (page ms, last ms) lists."""
    site.moving_name = site.moving.name
    if kind == "remove":
        # Removes the pages the "add" saves made, in the same order.
        markers = site.added
    else:
        # Numbered with leading zeros, so that they sort as they were made.
        markers = [f"{prefix}-{kind}-{i:03d}-{time.time_ns() % 10**9}" for i in range(edits)]
    edits = len(markers)
    pages, lasts = [None] * edits, [None] * edits
    page_checks, last_checks = [], []
    threads = []
    timed_out = threading.Event()

    def watch(i, saved):
        deadline = time.monotonic() + edit_timeout
        done = first_passing(site.port, lambda: page_checks[i:], deadline)
        if done is not None:
            pages[i] = (done - saved) * 1000
        done = first_passing(site.port, lambda: last_checks[i:], deadline)
        if done is not None:
            lasts[i] = (done - saved) * 1000
        else:
            timed_out.set()

    made = 0
    for i, marker in enumerate(markers):
        if timed_out.is_set():
            print(f"{prefix} {kind} {pause}s: a save was not shown within {edit_timeout:.0f} s; "
                  f"the other {edits - i} saves are not made", file=sys.stderr)
            break
        made += 1
        saved = time.perf_counter()
        page, last = site.edit(kind, marker, i)
        page_checks.append(page)
        last_checks.append(last)
        thread = threading.Thread(target=watch, args=(i, saved))
        thread.start()
        threads.append(thread)
        if pause >= 1:
            thread.join()
        time.sleep(pause)
    for thread in threads:
        thread.join()
    if kind == "add":
        site.added = markers[:made]
    site.restore(kind)
    time.sleep(max(pause, SETTLE))
    return pages[:made], lasts[:made]


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def measure(name, command, root, flavor, port, edits, paces, kinds, edit_timeout):
    log = open(root.parent / f"{name}.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    rows = []
    try:
        site = Site(root, flavor, port)
        started = time.monotonic()
        while fetch(port, site.url(site.slug))[0] != 200:
            if time.monotonic() - started > READY_TIMEOUT or process.poll() is not None:
                sys.exit(f"{name}: never served (see {log.name})")
            time.sleep(0.05)
        print(f"{name}: ready in {time.monotonic() - started:.1f} s", file=sys.stderr)
        time.sleep(3)
        for pace in paces:
            for kind in kinds:
                pages, lasts = run_kind(site, kind, edits, pace, name, edit_timeout)
                rows.append((name, kind, pace, pages, lasts))
                print(f"{name} {kind} {pace}s: {summary(pages)} / {summary(lasts)}",
                      file=sys.stderr)
        memory = rss_mb(process.pid)
        return rows, memory
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def summary(values):
    got = [v for v in values if v is not None]
    if not got:
        return "never"
    missed = len(values) - len(got)
    text = f"{statistics.median(got):.0f}/{max(got):.0f}"
    return text + (f" ({missed} missed)" if missed else "")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--edits", type=int, default=10)
    parser.add_argument("--paces", default="0.3,3", help="seconds between saves")
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds to wait for a save to be served before counting it missed")
    parser.add_argument("--communities", type=Path,
                        default=PROJECT / "target" / "release" / "communities")
    parser.add_argument("--hugo", type=Path, help="a hugo binary, to measure `hugo server` too")
    parser.add_argument("--no-communities", action="store_true", help="measure Hugo alone")
    args = parser.parse_args()
    paces = [float(p) for p in args.paces.split(",")]
    kinds = args.kinds.split(",")
    if "remove" in kinds and "add" not in kinds:
        parser.error("remove needs add before it")

    work = Path(tempfile.mkdtemp(prefix="serve-latency-"))
    try:
        rows = []
        memory = {}
        servers = [] if args.no_communities else [("communities", "communities")]
        if args.hugo:
            servers.append(("hugo", "hugo"))
        for name, flavor in servers:
            root = work / name
            subprocess.run([sys.executable, PROJECT / "bench" / "gen_corpus.py", root,
                            "--pages", str(args.pages), "--flavor", flavor],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            if flavor == "hugo":
                shutil.copytree(PROJECT / "bench" / "hugo", root, dirs_exist_ok=True)
            port = free_port()
            if name == "communities":
                command = [args.communities, "serve", "--root", root, "--port", str(port)]
            else:
                command = [args.hugo, "server", "--source", root, "--bind", "127.0.0.1",
                           "--port", str(port), "--disableLiveReload", "--quiet"]
            got, memory[name] = measure(name, command, root, flavor, port, args.edits, paces,
                                        kinds, args.timeout)
            rows.extend(got)

        print(f"Save to served, {args.pages}-page corpus, {args.edits} saves per kind and pace "
              "(ms, median/max; page = the edited page, last = every affected page):")
        # Two spaces before each figure, so that wide ones (with misses) stay apart.
        print(f"{'server':<13}{'kind':<12}{'pace s':>7}  {'page':>24}  {'last':>24}")
        for name, kind, pace, pages, lasts in rows:
            print(f"{name:<13}{kind:<12}{pace:>7}  {summary(pages):>24}  {summary(lasts):>24}")
        for name, mb in memory.items():
            print(f"{name}: {mb:.0f} MB resident after the run")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
