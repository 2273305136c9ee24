#!/usr/bin/env bash
# check_links.sh: every relative link and image of README.md and docs/**/*.md
# resolves: the file exists (relative to the page), and a #anchor names a
# heading of the page it points to (GitHub's anchors: the heading lowercased,
# punctuation other than - and _ dropped, spaces as -). Web addresses are not
# followed (the machines that run the suite reach none).
# usage: tests/check_links.sh   (prints "N passed, N failed")
set -u
cd "$(dirname "$0")/.."
pass=0 fail=0
# the anchors of a page, one a line
anchors() {
    perl -CSD -ne 'next if /^```/ .. /^```/; if (/^#+\s+(.*?)\s*$/) { $h = lc $1; $h =~ s/[^\w\- ]//g; $h =~ s/ /-/g; print "$h\n" }' "$1"
}
pages=$( { echo README.md; find docs -name '*.md'; } | sort)
for page in $pages; do
    dir=$(dirname "$page")
    bad=""
    n=0
    # link targets: ](target) and src="target", outside code blocks
    targets=$(perl -CSD -ne 'next if /^```/ .. /^```/; while (/\]\(([^)\s]+)\)|src="([^"]+)"/g) { print(($1 // $2), "\n") }' "$page")
    while read -r t; do
        [ -z "$t" ] && continue
        case "$t" in http://* | https://* | mailto:*) continue ;; esac
        n=$((n + 1))
        path=${t%%#*}
        anchor=""
        [ "$t" != "$path" ] && anchor=${t#*#}
        file=$page
        [ -n "$path" ] && file="$dir/$path"
        if [ ! -e "$file" ]; then
            bad="$bad$t (no such file)"$'\n'
        elif [ -n "$anchor" ] && ! anchors "$file" | grep -qxF -- "$anchor"; then
            bad="$bad$t (no heading #$anchor in $file)"$'\n'
        fi
    done <<< "$targets"
    if [ -z "$bad" ]; then
        echo "ok   $page: $n links and images resolve"
        pass=$((pass + 1))
    else
        echo "FAIL $page: $(grep -c . <<< "$bad") of $n links do not resolve"
        sed 's/^/     /' <<< "${bad%$'\n'}"
        fail=$((fail + 1))
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
