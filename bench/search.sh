#!/usr/bin/env bash
# Search benchmark: the site's own search index against Pagefind on the same built site.
#
#   bench/search.sh [PAGES]        (default 10000)
#
# Generates the synthetic corpus with GEN_CORPUS (default bench/gen_corpus.py),
# builds it with COMMUNITIES_BIN (default target/release/communities), times the index alone
# (examples/search_index.rs), indexes the same HTML with Pagefind (npm's `pagefind` package,
# its binary run directly), then measures queries in Chromium with bench/search.mjs.
# Needs python3, node, cargo, Debian's chromium, and `npm install` done in tests/browser.
# Work files go to BENCH_DIR (default: a new temporary folder); an existing corpus is reused.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
pages=${1:-10000}
work=${BENCH_DIR:-$(mktemp -d)}
gen=${GEN_CORPUS:-$repo/bench/gen_corpus.py}
bin=${COMMUNITIES_BIN:-$repo/target/release/communities}
# QUERIES="a,b c" replaces the queries: by default one-word ones, a word form, two two-word
# ones and two typos ("gardan", "libary").
IFS=',' read -ra queries <<< "${QUERIES:-garden,volunteer,volunteered,library,botcheston,loneliness,village hall,youth club,gardan,libary}"
mkdir -p "$work"
echo "work folder: $work"

[ -x "$bin" ] || cargo build --release
corpus=$work/corpus-$pages
[ -d "$corpus" ] || python3 "$gen" "$corpus" --pages "$pages" > /dev/null

seconds() { python3 -c 'import sys,time; t=time.perf_counter(); import subprocess; subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); print(f"{time.perf_counter()-t:.2f}")' "$@"; }

rm -rf "$work/ours"
build_s=$(seconds "$bin" build --root "$corpus" --output "$work/ours")
index=$(cargo run --quiet --release --example search_index -- "$corpus" 3)

# Pagefind indexes the articles only, as it would with data-pagefind-body on them.
rm -rf "$work/pf-site"
cp -r "$work/ours" "$work/pf-site"
rm -rf "$work/pf-site/search"
find "$work/pf-site" -name '*.html' -exec sed -i 's/<article\([ >]\)/<article data-pagefind-body\1/' {} +
if [ ! -d "$work/pagefind/node_modules/@pagefind" ]; then
  mkdir -p "$work/pagefind"
  (cd "$work/pagefind" && npm install --silent --ignore-scripts pagefind > /dev/null)
fi
pf_bin=$(ls "$work"/pagefind/node_modules/@pagefind/*/bin/pagefind_extended | head -n 1)
pf_s=$(seconds "$pf_bin" --site "$work/pf-site")

ours_bytes=$(du -sb --exclude=index.html "$work/ours/search" | cut -f1)
ours_files=$(find "$work/ours/search" -type f ! -name index.html | wc -l)
pf_bytes=$(du -sb "$work/pf-site/pagefind" | cut -f1)
pf_files=$(find "$work/pf-site/pagefind" -type f | wc -l)

echo
echo "pages: $pages"
echo "communities: whole build ${build_s} s; search index alone: $index"
echo "communities index: $ours_files files, $((ours_bytes / 1024)) KiB"
echo "pagefind $(basename "$(dirname "$(dirname "$pf_bin")")") index: ${pf_s} s, $pf_files files, $((pf_bytes / 1024)) KiB"
echo
node bench/search.mjs "$work/ours" "$work/pf-site" "${queries[@]}"
