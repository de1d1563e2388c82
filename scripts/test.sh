#!/usr/bin/env bash
# The project's test command (`npm test`, also run by CI through .ci/run).
# It installs what the tests need: npm packages when node_modules is missing,
# and Debian packages for the real tools the tests run, when missing and
# running as root; otherwise it stops with the exact install command. Tests
# that need a real tool never skip.
set -euo pipefail
cd "$(dirname "$0")/.."
export CDK8S_CHECK_UPGRADE=false

# Debian packages the test suite runs for real: "<command>:<package>".
# The backup tests name absolute paths: PostgreSQL's binaries are not on PATH
# in Debian, and a pyenv or pip `aws` on PATH is not Debian's awscli.
# The backup scripts run under busybox ash, dash and bash, as the pods' users
# (setpriv), and take locks with flock.
REQUIRED_TOOLS=("promtool:prometheus"
  "/usr/bin/busybox:busybox"
  "/usr/bin/dash:dash"
  "/usr/bin/setpriv:util-linux"
  "/usr/bin/flock:util-linux"
  "/usr/bin/redis-server:redis-server"
  "/usr/bin/redis-sentinel:redis-sentinel"
  # The PostgreSQL store test runs initdb as a UID without a passwd entry
  # through nss_wrapper, as the postgres image's entrypoint does (a file, so
  # checked with -e below).
  "/usr/lib/x86_64-linux-gnu/libnss_wrapper.so:libnss-wrapper"
  "/usr/lib/postgresql/15/bin/postgres:postgresql-15"
  "/usr/bin/aws:awscli"
  # The runtime contract test runs the pod in its own network and mount
  # namespaces and drops to its UID.
  "unshare:util-linux" "nsenter:util-linux" "setpriv:util-linux" "ip:iproute2"
  # The egress proxy test parses and runs the generated squid.conf.
  "/usr/sbin/squid:squid"
  # StaticFrontend's nginx.conf is checked and served by the real nginx.
  "/usr/sbin/nginx:nginx"
  # The Helm test renders charts with Go's text/template (a small renderer it builds).
  "go:golang-go"
  # A platform's topology SVG is rendered in headless Chromium.
  "chromium:chromium")

missing=()
for entry in "${REQUIRED_TOOLS[@]}"; do
  cmd="${entry%%:*}"; pkg="${entry##*:}"
  { command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ]; } || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = "0" ]; then
    echo "installing Debian packages: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    for entry in "${REQUIRED_TOOLS[@]}"; do
      cmd="${entry%%:*}"
      { command -v "$cmd" >/dev/null 2>&1 || [ -e "$cmd" ]; } || { echo "still missing after the install: $cmd (package ${entry##*:})" >&2; exit 1; }
    done
  else
    echo "the tests need Debian packages that are not installed; run:" >&2
    echo "  sudo apt-get install -y ${missing[*]}" >&2
    exit 1
  fi
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

# Compiles and type-checks the library, the apps and the tests together.
npm run --silent build

report=.vitest-report.json
rm -f "$report"
status=0
npx vitest run --reporter=default --reporter=json --outputFile="$report" "$@" || status=$?
node -e '
const fs = require("node:fs");
const file = process.argv[1];
if (!fs.existsSync(file)) { console.log("0 passed, 1 failed"); process.exit(0); }
const r = JSON.parse(fs.readFileSync(file, "utf8"));
// A test file that fails to load has no failed assertion; count it too.
const brokenFiles = r.testResults.filter((t) => t.status === "failed" && !t.assertionResults.some((a) => a.status === "failed")).length;
console.log(`${r.numPassedTests} passed, ${r.numFailedTests + brokenFiles} failed`);
' "$report"
exit "$status"
