#!/usr/bin/env bash
# msg-bench.sh — peer messaging between two real nodes in the NAT lab: a direct path, a relayed path, and raw UDP.
#
# Builds a lab with lab/netlab.sh (prefix mb<PID>): a public seed 203.0.113.10, two public hosts pa/pb
# (203.0.113.20/.21) and two symmetric sites s1/s2 (whose pair cannot punch through, so its link is relayed by the
# seed). Runs `woven up` on each, then from the sending side:
#   direct   woven msg bench  pa -> pb (a direct link)
#   relayed  woven msg bench  s1 -> s2 (a link relayed through the seed; checked with woven peers)
#   raw UDP  woven msg bench --udp pa -> pb, against `woven msg bench --udp-echo` on pb (the baseline: no overlay)
# Each at 64 B and 1024 B: round trip of one message at a time (send to acknowledgement; raw UDP: datagram to echo),
# p50 and p99 over 2,000, then a stream of BENCH_COUNT messages (raw UDP: 128 datagrams in flight) in messages/s.
# Prints a Markdown table and writes it to BENCH_OUT.
#
#   sudo bench/msg-bench.sh
#   env: BENCH_COUNT (20000)   BENCH_OUT (/tmp/msg-bench.md)   WOVEN_BIN (the Release build of src/Woven.Cli)
#
# Needs root, nftables, iproute2, jq. Both nodes and the benchmark share the machine's cores, so other load lowers
# the numbers: the header gives the CPU share other work used just before the run. On EXIT (also Ctrl-C) it kills
# the nodes it started (by PID) and destroys the lab.
set -euo pipefail

COUNT="${BENCH_COUNT:-20000}"
OUT="${BENCH_OUT:-/tmp/msg-bench.md}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WOVEN="${WOVEN_BIN:-$HERE/../src/Woven.Cli/bin/Release/net10.0/woven}"
NETLAB="$HERE/../lab/netlab.sh"
[[ "$COUNT" =~ ^[1-9][0-9]*$ ]] && [ "$COUNT" -ge 10 ] || { echo "BENCH_COUNT must be an integer of at least 10" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "msg-bench.sh: must run as root (network namespaces)" >&2; exit 2; }
[ -x "$WOVEN" ] || { echo "msg-bench.sh: no woven binary at $WOVEN (dotnet build src/Woven.Cli -c Release, or set WOVEN_BIN)" >&2; exit 2; }
for b in jq ip nft; do command -v "$b" >/dev/null || { echo "msg-bench.sh: $b is missing (apt-get install jq iproute2 nftables)" >&2; exit 2; }; done

P="mb$$"
TMP="$(mktemp -d /tmp/msgbench.XXXXXX)"
PIDS=()
log() { echo "[msg-bench] $*" >&2; }

cleanup() {
  local rc=$? p
  trap - EXIT INT TERM
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  "$NETLAB" destroy "$P" >/dev/null 2>&1 || true
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

. "$HERE/cpu-busy.sh"
BUSY_BEFORE="$(cpu_busy 2)"

# ---------- lab ----------
"$NETLAB" create "$P" >/dev/null
"$NETLAB" public "$P" seed 203.0.113.10 >/dev/null
"$NETLAB" public "$P" pa 203.0.113.20 >/dev/null
"$NETLAB" public "$P" pb 203.0.113.21 >/dev/null
for s in 1 2; do
  "$NETLAB" site "$P" "s$s" symmetric "$s" >/dev/null
  "$NETLAB" host "$P" "s$s" h >/dev/null
done

# up NAME NS [BOOTSTRAP]: a node in namespace NS with its state in TMP/NAME.
up() {
  local name=$1 ns=$2 boot=${3:-}
  local args=(up --listen 0.0.0.0:7000 --name "$name" --state-dir "$TMP/$name")
  [ -n "$boot" ] && args+=(--bootstrap "$boot")
  ip netns exec "$ns" "$WOVEN" "${args[@]}" >"$TMP/$name.log" 2>&1 </dev/null &
  PIDS+=($!)
  disown
}
up seed "$P-seed"
sleep 1
up pa "$P-pa" 203.0.113.10:7000
up pb "$P-pb" 203.0.113.10:7000
up s1 "$P-s1-h" 203.0.113.10:7000
up s2 "$P-s2-h" 203.0.113.10:7000

# address NAME: the node's ring address, once its control API answers (at most 60 s).
address() {
  local i
  for i in $(seq 120); do
    "$WOVEN" status --json --state-dir "$TMP/$1" 2>/dev/null | jq -r .address && return 0
    sleep 0.5
  done
  log "node $1 did not come up: $(tail -5 "$TMP/$1.log")"
  return 1
}
PB="$(address pb)"; S2="$(address s2)"; address pa >/dev/null; address s1 >/dev/null

# path FROM TO_ADDRESS: the path of FROM's link with TO (direct, relayed or none).
path() { "$WOVEN" peers --json --state-dir "$TMP/$1" | jq -r --arg a "$2" '[.peers[] | select(.address == $a) | .path][0] // "none"'; }

# warm FROM TO_ADDRESS WANT: a first message opens the link; waits (60 s at most) until its path is WANT.
warm() {
  local i p
  "$WOVEN" msg send "$2" warm-up hello --timeout 60 --state-dir "$TMP/$1" >/dev/null
  for i in $(seq 120); do
    p="$(path "$1" "$2")"
    [ "$p" = "$3" ] && return 0
    sleep 0.5
  done
  log "the link $1 -> $2 is $p, not $3"
  return 1
}
warm pa "$PB" direct
warm s1 "$S2" relayed
sleep 2

ROWS=()
# bench LABEL FROM TO_ADDRESS SIZE
bench() {
  local j
  j="$("$WOVEN" msg bench "$3" --size "$4" --count "$COUNT" --json --state-dir "$TMP/$2")"
  ROWS+=("| $1 | $4 B | $(jq -r '.p50_ms' <<<"$j") | $(jq -r '.p99_ms' <<<"$j") | $(jq -r '.messages_per_second | floor' <<<"$j") | $(jq -r '.retransmits' <<<"$j") |")
  log "${ROWS[-1]}"
}
ip netns exec "$P-pb" "$WOVEN" msg bench --udp-echo 7999 >"$TMP/echo.log" 2>&1 </dev/null &
PIDS+=($!)
disown
sleep 1
for size in 64 1024; do
  bench "direct (pa → pb)" pa "$PB" "$size"
  bench "relayed (s1 → seed → s2)" s1 "$S2" "$size"
  j="$(ip netns exec "$P-pa" "$WOVEN" msg bench --udp 203.0.113.21:7999 --size "$size" --count "$COUNT" --json)"
  ROWS+=("| raw UDP (pa → pb) | $size B | $(jq -r '.p50_ms' <<<"$j") | $(jq -r '.p99_ms' <<<"$j") | $(jq -r '.messages_per_second | floor' <<<"$j") | $(jq -r '.lost' <<<"$j") lost |")
  log "${ROWS[-1]}"
done

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
{
  echo "Peer messaging, $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -r)"
  echo
  echo "- CPU: ${cpu:-unknown} ($(nproc) cores)"
  echo "- CPU busy with other work just before the run: $BUSY_BEFORE %"
  echo "- round trip: one message at a time, send to acknowledgement (raw UDP: datagram to echo), 2,000 samples; stream: $COUNT messages"
  echo
  echo "| path | size | p50 ms | p99 ms | msg/s | retransmits |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$OUT"
