#!/usr/bin/env bash
# Check that a change keeps the output byte for byte: build the bundled samples and a
# generated corpus (with custom feeds and archive pages) with the code of REF (default:
# HEAD~1) and with the working tree, then compare the two output folders. Exit 0 when
# every file is identical.
#
# usage: bench/same_output.sh [REF] [N]      (N: corpus size, default 2000)
set -euo pipefail
ref=${1:-HEAD~1}
n=${2:-2000}
repo=$(cd "$(dirname "$0")/.." && pwd)
python=${PYTHON:-$repo/.venv/bin/python}
work=$(mktemp -d)
trap 'git -C "$repo" worktree remove --force "$work/before" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

git -C "$repo" worktree add --detach --quiet "$work/before" "$ref"
"$python" "$repo/bench/make_corpus.py" "$n" "$work/corpus" --seed 1 >/dev/null 2>&1

site() {  # site CONTENT OUT: a config for the generated corpus, custom feeds and archives on
    cat > "$work/$2.yaml" <<YAML
site: {title: Example News, base_url: "https://feeds.example.org/", link: "https://news.example.org/"}
content: {dir: $1}
output: {dir: $work/$2}
cache: {dir: $work/$2-cache}
feeds:
  max_items: 20
  archive: true
  archive_page_size: 10
  custom:
    - {path: top, title: Top stories, order: heat, max_items: 10}
    - {path: collections/ai, title: AI, topics: {any: [AI, Machine Learning]}, min_quality: 30}
YAML
    echo "$work/$2.yaml"
}

build() {  # build CODE CONFIG: run `feeds build` from the code in folder CODE
    (cd "$1" && PYTHONPATH="$1" "$python" -m feeds build --config "$2" -q) || true
}

samples_config() {  # the shipped samples config, pointed at an output folder of our own
    sed -e "s#dir: ../samples#dir: $repo/samples#" -e "s#dir: ../public#dir: $work/$1#" \
        "$repo/config/feeds.yaml" > "$work/$1.yaml"
    printf 'cache: {dir: %s}\n' "$work/$1-cache" >> "$work/$1.yaml"
    echo "$work/$1.yaml"
}

status=0
for side in before after; do
    code=$([ "$side" = before ] && echo "$work/before" || echo "$repo")
    build "$code" "$(samples_config "samples-$side")"
    build "$code" "$(site "$work/corpus" "corpus-$side")"
done
for what in samples corpus; do
    files=$(find "$work/$what-after" -type f ! -name '.feeds*' | wc -l)
    if diff -r -x '.feeds*' "$work/$what-before" "$work/$what-after" >/dev/null; then
        echo "$what: $files files, byte-identical to $ref"
    else
        echo "$what: DIFFERS from $ref:"; diff -rq -x '.feeds*' "$work/$what-before" "$work/$what-after" | head -20
        status=1
    fi
done
exit $status
