#!/usr/bin/env bash
# Page load, for `make bench` (tests/bench/bench.sh embeds what this prints in docs/BENCHMARKS.md):
# Lighthouse 12.2.3 (tests/peers/lighthouse) with Debian's Chromium on the resident page, mobile and
# desktop, and on the demo stream page and the host console; the bytes of a first and a second
# visit (tests/bench/visits.mjs); what serving the wasm costs the server per request, precompressed
# against compressed per request; and what WebSocket compression would do for room states
# (the ws_deflate example). Prints Markdown on stdout, progress on stderr. 127.0.0.1 only.
#
# Needs: target/release/mulin and target/release/examples/ws_deflate, dist/ built by `make widget`.
# FAN_SERVER_CPU: the fan-out's server CPU s per million frames from the same bench run (optional).
set -euo pipefail
cd "$(dirname "$0")/../.."
MULIN=./target/release/mulin
LH_RUNS=${LH_RUNS:-5}
. tests/bench/common.sh
export CHROME_PATH=${CHROME_PATH:-/usr/bin/chromium}
LIGHTHOUSE=tests/peers/lighthouse/node_modules/.bin/lighthouse
[ -x "$LIGHTHOUSE" ] || { echo "Lighthouse is missing: run \`make peers\`" >&2; exit 1; }
CHROME_FLAGS="--headless=new --no-sandbox --disable-gpu --disable-background-networking --disable-component-update --disable-sync --no-first-run"

WORK=$(mktemp -d /tmp/mulin-pageload.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT

# A demo server on `dist` ($1); sets URL and LOG.
start_server() {
  local port
  port=$(free_port)
  LOG="$WORK/server-$port.log"
  "$MULIN" serve --demo --bind "127.0.0.1:$port" --db "$WORK/$port.db" --dist "$1" >"$LOG" 2>&1 &
  PIDS+=("$!")
  URL="http://127.0.0.1:$port"
  for _ in $(seq 1 100); do curl -sf "$URL/api/health" >/dev/null && return; sleep 0.1; done
  echo "the server did not start: $(cat "$LOG")" >&2; exit 1
}

start_server dist
SITE=$URL
HOST_URL=$(grep -o "$SITE/show/[0-9]*/host?token=[^ ]*" "$LOG" | head -1)

# One Lighthouse run of $1 with extra flags $2…; prints its summary as one JSON line.
lighthouse() {
  local url=$1; shift
  local out="$WORK/lh-$RANDOM.json"
  "$LIGHTHOUSE" "$url" --quiet --output=json --output-path="$out" --chrome-flags="$CHROME_FLAGS" \
    --only-categories=performance,accessibility "$@" >&2
  node -e '
const r = require(process.argv[1]), a = r.audits;
console.log(JSON.stringify({
  performance: Math.round(r.categories.performance.score * 100),
  accessibility: Math.round(r.categories.accessibility.score * 100),
  fcp_s: +(a["first-contentful-paint"].numericValue / 1000).toFixed(2),
  lcp_s: +(a["largest-contentful-paint"].numericValue / 1000).toFixed(2),
  tbt_ms: Math.round(a["total-blocking-time"].numericValue),
  cls: +a["cumulative-layout-shift"].numericValue.toFixed(3),
  kb: +(a["total-byte-weight"].numericValue / 1000).toFixed(1),
}));' "$out"
}
# The median run (by performance score, then LCP) of $LH_RUNS runs; every run's scores go to $1.
lighthouse_median() {
  local all=$1; shift
  local lines=()
  for i in $(seq 1 "$LH_RUNS"); do
    say "  Lighthouse run $i/$LH_RUNS: $*"
    lines+=("$(lighthouse "$@")")
  done
  printf '%s\n' "${lines[@]}" | python3 -c '
import json, sys
runs = [json.loads(l) for l in sys.stdin if l.strip()]
with open(sys.argv[1], "w") as f:
    f.write(", ".join("{performance} ({lcp_s} s, {tbt_ms} ms, {cls})".format(**r) for r in runs))
runs.sort(key=lambda r: (-r["performance"], r["lcp_s"]))
print(json.dumps(runs[len(runs) // 2]))' "$all"
}
lh_row() { # label, json
  printf '| %s | %s | %s s | %s ms | %s | %s s | %s KB | %s |\n' "$1" "$(field "$2" performance)" \
    "$(field "$2" lcp_s)" "$(field "$2" tbt_ms)" "$(field "$2" cls)" "$(field "$2" fcp_s)" \
    "$(field "$2" kb)" "$(field "$2" accessibility)"
}

say "Lighthouse: the resident page, mobile profile (median of $LH_RUNS)"
M=$(lighthouse_median "$WORK/m-all" "$SITE/show/1")
say "Lighthouse: the resident page, desktop profile (median of $LH_RUNS)"
D=$(lighthouse_median "$WORK/d-all" "$SITE/show/1" --preset=desktop)
say "Lighthouse: the demo stream page and the host console, mobile and desktop (one run each)"
DM=$(lighthouse "$SITE/demo/1")
DD=$(lighthouse "$SITE/demo/1" --preset=desktop)
HM=$(lighthouse "$HOST_URL")
HD=$(lighthouse "$HOST_URL" --preset=desktop)
say "first and second visit of the resident page (visits.mjs)"
V=$(node tests/bench/visits.mjs "$SITE/show/1")
visit() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]][sys.argv[3]])' "$V" "$1" "$2"; }

# Serving the wasm: precompressed (this server) against compressed per request (a second server on a
# copy of dist/ without the .br and .gz files, so tower-http's layer compresses as it sends).
say "serving the wasm: precompressed against compressed per request"
cp -r dist "$WORK/dist-plain"
find "$WORK/dist-plain" \( -name '*.br' -o -name '*.gz' \) -delete
start_server "$WORK/dist-plain"
PLAIN=$URL
WASM=$(cd dist && ls mulin-frontend-*_bg.wasm)
cpu_s() { curl -s "$1/api/metrics" | python3 -c 'import json,sys; print(json.load(sys.stdin)["process"]["cpu_s"])'; }
# CPU ms per request and bytes per response of $2 requests for the wasm from $1 with encoding $3.
per_request() {
  local base=$1 n=$2 enc=$3 before after bytes
  local urls=()
  for _ in $(seq 1 "$n"); do urls+=("$base/$WASM" -o /dev/null); done
  before=$(cpu_s "$base")
  bytes=$(curl -s -H "Accept-Encoding: $enc" -w '%{size_download}\n' "${urls[@]}" | tail -1)
  after=$(cpu_s "$base")
  python3 -c 'import sys; b, a, n, s = map(float, sys.argv[1:]); print(f"{(a - b) * 1000 / n:.2f} ms, {s / 1000:.1f} KB")' "$before" "$after" "$n" "$bytes"
}
PRE_BR=$(per_request "$SITE" 400 br)
PRE_GZ=$(per_request "$SITE" 400 gzip)
FLY_BR=$(per_request "$PLAIN" 40 br)
FLY_GZ=$(per_request "$PLAIN" 40 gzip)
RAW_KB=$(python3 -c 'import os,sys; print(f"{os.path.getsize(sys.argv[1]) / 1000:.1f}")' "dist/$WASM")

say "WebSocket compression of room states (ws_deflate)"
WD=$(./target/release/examples/ws_deflate)
wd() { field "$WD" "$1"; }
# At 10,000 viewers and 10 states a second: Mbit/s on the wire (payloads only) and cores.
mbit() { python3 -c 'import sys; print(f"{float(sys.argv[1]) * 100000 * 8 / 1e6:.0f}")' "$1"; }
cores() { python3 -c 'import sys; print(f"{float(sys.argv[1]) * float(sys.argv[2]) / 1e6:.2f}")' "$1" "$2"; }
FAN_CPU=${FAN_SERVER_CPU:-}
if [ -n "$FAN_CPU" ]; then
  FAN_LINE="The fan-out itself, in this run, costs the server $FAN_CPU s per million frames: $(python3 -c 'import sys; print(f"{float(sys.argv[1]) * 0.1:.2f}")' "$FAN_CPU") cores at 100,000 frames a second."
else
  FAN_LINE=""
fi

cat <<MD
## Page load

Lighthouse $(node -p 'require("./tests/peers/lighthouse/node_modules/lighthouse/package.json").version') (\`tests/peers/lighthouse\`, pinned) with $(chromium --version 2>/dev/null | head -1), against the
release server on 127.0.0.1 with the demo show, by \`tests/bench/page_load.sh\`. The mobile profile
simulates a mid-range phone on a slow 4G network (150 ms round trips, 1.6 Mbit/s, the CPU 4× slower);
the desktop profile a fast wired one. Scores and times are Lighthouse's simulation from a trace of the
real load, so they move with this shared machine's load: the resident page is the median of
$LH_RUNS runs. KB is what the browser transferred (Lighthouse's total byte weight, the WebSocket's
frames aside).

| page, profile | performance | LCP | TBT | CLS | FCP | KB transferred | accessibility |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
$(lh_row "resident page, mobile" "$M")
$(lh_row "resident page, desktop" "$D")
$(lh_row "demo stream page, mobile" "$DM")
$(lh_row "demo stream page, desktop" "$DD")
$(lh_row "host console, mobile" "$HM")
$(lh_row "host console, desktop" "$HD")

All runs of the resident page, as performance (LCP, TBT, CLS) — mobile: $(cat "$WORK/m-all");
desktop: $(cat "$WORK/d-all").

What keeps the phone's main thread free (TBT counts every task past 50 ms at 4× CPU): index.html
draws a skeleton of the page and opens the live connection while the widget downloads; the widget
then works in short tasks, one after another: the language, the page, taking over the connection,
each frame that waited, the deal, its buttons, the sign-in form, the parts below the card
(\`draw_later\` in \`frontend/src/lib.rs\`), so no task of its own runs long.

**Visits** (\`tests/bench/visits.mjs\`: Chromium opens the resident page in a new tab twice, the HTTP
cache kept between): the first visit transferred $(visit first bytes) bytes in $(visit first requests)
requests; the second $(visit second bytes) bytes in $(visit second requests) requests: $(visit second from_cache)
came from the cache without asking (the files named by their content), and the page was revalidated
(a 304 Not Modified, no body).

| target (resident page, Lighthouse mobile) | measured | met |
| --- | --- | --- |
| performance ≥ 95 | $(field "$M" performance) | $(verdict "$(field "$M" performance) >= 95") |
| LCP ≤ 2.0 s | $(field "$M" lcp_s) s | $(verdict "$(field "$M" lcp_s) <= 2.0") |
| CLS < 0.05 (resident, demo, console; mobile and desktop) | $(field "$M" cls), $(field "$D" cls), $(field "$DM" cls), $(field "$DD" cls), $(field "$HM" cls), $(field "$HD" cls) | $(verdict "max($(field "$M" cls), $(field "$D" cls), $(field "$DM" cls), $(field "$DD" cls), $(field "$HM" cls), $(field "$HD" cls)) < 0.05") |
| first visit ≤ 230 KB | $(field "$M" kb) KB | $(verdict "$(field "$M" kb) <= 230") |
| second visit < 5 KB besides the live connection | $(visit second bytes) bytes | $(verdict "$(visit second bytes) < 5000") |
| accessibility 100 | $(field "$M" accessibility) | $(verdict "$(field "$M" accessibility) == 100") |

**Serving the wasm** ($RAW_KB KB whole): server CPU per request and bytes sent, from \`/api/metrics\`
around 400 requests (precompressed) or 40 (per request) over one keep-alive connection:

| how | brotli | gzip |
| --- | --- | --- |
| precompressed at build time (\`make widget\`: brotli 11, gzip 9), as served | $PRE_BR | $PRE_GZ |
| compressed per request (tower-http's compression layer: brotli 4, gzip 6) | $FLY_BR | $FLY_GZ |

So the widget's files are precompressed, and the layer compresses only what is made per request
(JSON answers, the demo page, 404 pages).

**WebSocket compression (permessage-deflate) for room states**, measured on $(wd states) real room
states from a server (\`cargo run --release -p mulin-tests --example ws_deflate\`: a viewer, and a
resident buying one unit at a time), deflate level 6:

| per room state | bytes | CPU per compression | at 10,000 viewers, 10 states/s |
| --- | ---: | ---: | --- |
| as sent today | $(wd raw_bytes) | — | $(mbit "$(wd raw_bytes)") Mbit/s of payload |
| shared: each state compressed once, without context takeover, for every viewer | $(wd shared_bytes) | $(wd shared_us) µs | $(mbit "$(wd shared_bytes)") Mbit/s; $(cores "$(wd shared_us)" 10) cores |
| per viewer: one compressor per viewer, with context takeover | $(wd per_viewer_bytes) | $(wd per_viewer_us) µs | $(mbit "$(wd per_viewer_bytes)") Mbit/s; $(cores "$(wd per_viewer_us)" 100000) cores and $(python3 -c 'import sys; print(f"{float(sys.argv[1]) * 10000 / 1048576:.1f}")' "$(wd per_viewer_state_kib)") GiB of compressor state |

$FAN_LINE

**Decision: not switched on.** A compressor per viewer makes the smallest frames but costs cores and
memory that grow with the audience, for a fan-out whose cost is already the sending, not the bytes.
Compressing each state once without context takeover costs almost nothing and halves the payload,
so it would pay in bandwidth at large audiences; but a browser sends and takes compressed frames only
once the permessage-deflate handshake has agreed to it, and the WebSocket under axum 0.8
(tungstenite 0.29) neither agrees to it nor reads the compressed frames browsers then send. Taking it
up means another WebSocket layer (or extending this one) to send one precompressed frame to every
viewer: worth it when a show's uplink, not the CPU, is what runs out.
MD
