#!/usr/bin/env bash
# check_structure.sh: the layout docs/ARCHITECTURE.md describes, checked from
# the code itself (#include lines and function bodies), so it cannot drift:
#   1. no include cycle between the folders of src/ (a folder is src/X or src/X/Y);
#   2. library code never includes a command file (src/cli/);
#   3. only a backend's own files include its private headers (src/backend/B/);
#   4. every quoted #include names a header that exists (src/-relative);
#   5. no function in src/ is longer than MAX_LINES, except those listed in
#      LONG_OK with the reason they stay long;
#   6. no build output is tracked by git (objects, archives, shared libraries,
#      dependency files): builds go to the ignored build*/ folders.
# usage: tests/check_structure.sh [SRC_DIR]   (prints "N passed, N failed")
set -u
src=${1:-src}
MAX_LINES=150
# functions that may stay longer than MAX_LINES, as "path/under/src.c:function: the reason" (none now)
LONG_OK=()
pass=0 fail=0
check() {  # check OK DESCRIPTION [DETAILS]
    if [ "$1" -eq 0 ]; then
        echo "ok   $2"
        pass=$((pass + 1))
    else
        echo "FAIL $2"
        [ -n "${3:-}" ] && sed 's/^/     /' <<< "$3"
        fail=$((fail + 1))
    fi
}

# every quoted include: "FILE FOLDER HEADER HEADER_FOLDER"
includes=$(cd "$src" && find . -name '*.[ch]' -o -name '*.cu' -o -name '*.cuh' | sed 's|^\./||' | sort |
    while read -r f; do
        sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f" |
            while read -r h; do echo "$f $(dirname "$f") $h $(dirname "$h")"; done
    done)

# 1. folder graph: each line "FROM TO" (FROM depends on TO); tsort finds loops
edges=$(awk '$2 != $4 { print $2, $4 }' <<< "$includes" | sort -u)
loop=$( (awk '{ print $2, $2 }' <<< "$includes"; echo "$edges") | tsort 2>&1 > /dev/null)
detail=""
if [ -n "$loop" ]; then  # the includes between the folders tsort names in loops
    members=$(sed -n 's/^tsort: \([^ -][^ ]*\)$/\1/p' <<< "$loop" | sort -u | tr '\n' ' ')
    detail="folders in a loop: $members"$'\n'$(awk -v m=" $members" '$2 != $4 && index(m, " " $2 " ") && index(m, " " $4 " ") { print $1 " -> " $3 }' <<< "$includes")
fi
check "$([ -z "$loop" ]; echo $?)" "no include cycle between the folders of src/ ($(wc -l <<< "$edges") folder edges)" "$detail"

# 2. library code (anything outside cli/) never includes a command file
up=$(awk '$2 !~ /^cli/ && $4 ~ /^cli/ { print $1 " includes " $3 }' <<< "$includes")
check "$([ -z "$up" ]; echo $?)" "library code never includes a command file (src/cli/)" "$up"

# 3. a backend's private headers (src/backend/B/*.h) stay inside that backend
priv=$(awk '$4 ~ /^backend\/[^/]+$/ && $2 != $4 { print $1 " includes " $3 }' <<< "$includes")
check "$([ -z "$priv" ]; echo $?)" "only a backend's own files include its private headers" "$priv"

# 4. includes name existing headers, relative to src/ (the one -I the build uses)
missing=$(awk '{ print $1, $3 }' <<< "$includes" | while read -r f h; do [ -f "$src/$h" ] || echo "$f: \"$h\""; done)
check "$([ -z "$missing" ]; echo $?)" "every #include \"...\" names a header under src/" "$missing"

# 5. function lengths: a top-level brace block whose declaration has a "(" and
# no "=" is a function; string and character literals and comments are
# stripped before braces are counted
long=$(find "$src" -name '*.c' | sort | xargs awk -v max="$MAX_LINES" '
    FNR == 1 { depth = 0; decl = ""; in_comment = 0 }
    {
        line = $0
        if (in_comment) { if (sub(/^.*\*\//, "", line)) in_comment = 0; else next }
        gsub(/\/\*([^*]|\*+[^*\/])*\*+\//, "", line)
        if (sub(/\/\*.*$/, "", line)) in_comment = 1
        gsub(/"([^"\\]|\\.)*"/, "\"\"", line)
        gsub(/'\''([^'\''\\]|\\.)*'\''/, "0", line)
        sub(/\/\/.*$/, "", line)
        if (line ~ /^#/) next
        if (depth == 0) {
            if (decl == "") { decl_line = FNR; decl = line } else decl = decl " " line
        }
        n = length(line)
        for (i = 1; i <= n; i++) {
            c = substr(line, i, 1)
            if (c == "{") {
                if (depth == 0) { is_fn = (decl ~ /\(/ && decl !~ /=/); start = decl_line; head = decl }
                depth++
            } else if (c == "}") {
                depth--
                if (depth == 0) {
                    if (is_fn && FNR - start + 1 > max) {
                        name = head; sub(/\(.*/, "", name); sub(/.*[ *]/, "", name)
                        printf "%s:%s %d lines (from line %d)\n", FILENAME, name, FNR - start + 1, start
                    }
                    decl = ""
                }
            } else if (c == ";" && depth == 0) decl = ""
        }
    }')
allowed="" over=""
while IFS= read -r l; do
    [ -z "$l" ] && continue
    key=${l%% *}
    ok=0
    for a in "${LONG_OK[@]+"${LONG_OK[@]}"}"; do [ "${a%%:*}:$(cut -d: -f2 <<< "$a")" = "${key#"$src"/}" ] && ok=1; done
    if [ $ok -eq 1 ]; then allowed="$allowed$l"$'\n'; else over="$over$l"$'\n'; fi
done <<< "$long"
check "$([ -z "$over" ]; echo $?)" "no function in src/ over $MAX_LINES lines$([ -n "$allowed" ] && echo " ($(grep -c . <<< "$allowed") listed as kept)")" "${over%$'\n'}"

# 6. build outputs in the repository (the checkout's own files; a copy outside git has none to list)
if git -C "$src/.." rev-parse --is-inside-work-tree > /dev/null 2>&1; then
    outputs=$(git -C "$src/.." ls-files | grep -E '\.(o|a|so|d)$|\.so\.[0-9.]+$' || true)
    check "$([ -z "$outputs" ]; echo $?)" "no build output tracked by git (.o, .a, .so, .d)$([ -n "$outputs" ] && echo ": $(grep -c . <<< "$outputs")")" \
        "$(head -5 <<< "$outputs")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
