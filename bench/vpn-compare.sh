#!/usr/bin/env bash
# vpn-compare.sh — Woven against the usual mesh VPNs on one lab topology, in one run.
#
# Two network namespaces (wvbench-PID-a, wvbench-PID-b) joined by a veth pair, 198.51.100.1 / .2 (RFC 5737).
# Over the raw veth, then over each tunnel in turn (Woven, wireguard-go, nebula, tinc, yggdrasil) it measures
# iperf3 TCP throughput from a to b (1 stream and 4 parallel streams, BENCH_SECONDS each) and then ping RTT
# (20 pings, 0.2 s apart, average). Each tunnel is started, measured, stopped (by PID) and its interface removed
# before the next. It prints a Markdown table and writes it to BENCH_OUT.
#
#   sudo bench/vpn-compare.sh
#   env: BENCH_SECONDS (10)   BENCH_OUT (/tmp/vpn-compare.md)   WOVEN_BIN (the Release build of src/Woven.Cli)
#
# Needs root. Installs what is missing with apt-get (--no-install-recommends). A rival that cannot be installed or
# does not come up gets a row that says why; the run goes on with the others. Overlay ranges, inside the two
# namespaces only: Woven 100.80.0.0/16 (its default), wireguard-go 10.201.0.0/24, nebula 10.202.0.0/24,
# tinc 10.203.0.0/24, yggdrasil its own 200::/7 addresses (iperf3 and ping over IPv6).
# Every tunnel saturates both cores, so anything else running on the machine lowers its numbers: the header
# gives the CPU share other work used just before the run. On EXIT (also Ctrl-C, or a SIGTERM once the running
# test is over) it kills every PID it started and deletes both namespaces and its temp dir.
set -euo pipefail

SECS="${BENCH_SECONDS:-10}"
OUT="${BENCH_OUT:-/tmp/vpn-compare.md}"
HERE="$(cd "$(dirname "$0")" && pwd)"
WOVEN="${WOVEN_BIN:-$HERE/../src/Woven.Cli/bin/Release/net10.0/woven}"
[[ "$SECS" =~ ^[1-9][0-9]*$ ]] || { echo "BENCH_SECONDS must be a positive integer" >&2; exit 2; }
[ "$(id -u)" -eq 0 ] || { echo "vpn-compare.sh: must run as root (namespaces, TUN devices, apt-get)" >&2; exit 2; }

NSA="wvbench-$$-a"
NSB="wvbench-$$-b"
IPA=198.51.100.1
IPB=198.51.100.2
WGA="wg$$a"                # wireguard-go's UAPI socket is /var/run/wireguard/IF.sock, shared by all namespaces
WGB="wg$$b"
TMP="$(mktemp -d /tmp/wvbench.XXXXXX)"
PIDFILE="$TMP/pids"        # every PID started, also by the subshells that set up the tunnels
: >"$PIDFILE"
ROWS=()

log() { echo "[vpn-compare] $*" >&2; }

# ---------- process bookkeeping ----------

# spawn NS LOGNAME CMD...: start CMD in namespace NS in the background; its PID goes to PIDFILE and LASTPID.
# `ip netns exec` execs the command, so $! is the daemon's own PID.
spawn() {
  local ns=$1 name=$2
  shift 2
  ip netns exec "$ns" "$@" >"$TMP/$name.log" 2>&1 </dev/null &
  LASTPID=$!
  echo "$LASTPID" >>"$PIDFILE"
}

# kill_pids: SIGTERM every recorded PID, wait up to 5 s, SIGKILL what is left; empties PIDFILE.
kill_pids() {
  local pids=() p i
  [ -f "$PIDFILE" ] && mapfile -t pids <"$PIDFILE"
  [ ${#pids[@]} -gt 0 ] || return 0
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for i in $(seq 50); do
    local alive=0
    for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ $alive -eq 1 ] || break
    sleep 0.1
  done
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  : >"$PIDFILE"
}

# remove_tunnels: delete every interface in the two namespaces except lo and the veth.
remove_tunnels() {
  local ns ifc
  for ns in "$NSA" "$NSB"; do
    [ -e "/run/netns/$ns" ] || continue
    for ifc in $(ip -n "$ns" -o link show 2>/dev/null | awk -F': ' '{sub(/@.*/, "", $2); print $2}'); do
      case "$ifc" in lo | veth) ;; *) ip -n "$ns" link del "$ifc" 2>/dev/null || true ;; esac
    done
  done
  rm -f "/var/run/wireguard/$WGA.sock" "/var/run/wireguard/$WGB.sock"
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  kill_pids
  remove_tunnels
  ip netns del "$NSA" 2>/dev/null || true
  ip netns del "$NSB" 2>/dev/null || true
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------- installs ----------

PKGS=(iperf3 iputils-ping jq wireguard-go wireguard-tools nebula tinc yggdrasil)
pkg_ok() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]; }
pkg_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo "not installed"; }

install_missing() {
  local missing=() p
  for p in "${PKGS[@]}"; do pkg_ok "$p" || missing+=("$p"); done
  [ ${#missing[@]} -gt 0 ] || return 0
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  if timeout 600 apt-get install -y --no-install-recommends "${missing[@]}" >"$TMP/apt.log" 2>&1; then return 0; fi
  log "apt-get install failed; apt-get update, then one package at a time"
  timeout 300 apt-get update >>"$TMP/apt.log" 2>&1 || log "apt-get update failed"
  for p in "${missing[@]}"; do
    timeout 300 apt-get install -y --no-install-recommends "$p" >>"$TMP/apt.log" 2>&1 || log "could not install $p"
  done
}
install_missing
for b in iperf3 ping jq ip; do
  command -v "$b" >/dev/null || { echo "vpn-compare.sh: $b is missing and could not be installed" >&2; exit 1; }
done

. "$HERE/cpu-busy.sh"
BUSY_BEFORE="$(cpu_busy 2)"

# ---------- topology ----------

ip netns add "$NSA"
ip netns add "$NSB"
for ns in "$NSA" "$NSB"; do
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=0 net.ipv6.conf.default.disable_ipv6=0
done
ip link add "wvb$$a" netns "$NSA" type veth peer name "wvb$$b" netns "$NSB"
ip -n "$NSA" link set "wvb$$a" name veth
ip -n "$NSB" link set "wvb$$b" name veth
ip -n "$NSA" addr add "$IPA/24" dev veth
ip -n "$NSB" addr add "$IPB/24" dev veth
ip -n "$NSA" link set veth up
ip -n "$NSB" link set veth up

# ---------- measuring ----------

# wait_ping NS ADDR SECONDS: until one ping from NS to ADDR gets an answer; fails after SECONDS.
wait_ping() {
  local ns=$1 addr=$2 limit=$3 end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    timeout 3 ip netns exec "$ns" ping -n -c 1 -W 1 "$addr" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  return 1
}

# wait_listen NS PORT SECONDS: until something listens on TCP PORT in NS; fails after SECONDS.
wait_listen() {
  local ns=$1 port=$2 end=$((SECONDS + $3))
  while [ $SECONDS -lt $end ]; do
    timeout 3 ip netns exec "$ns" ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
    sleep 0.1
  done
  return 1
}

# iperf NS_CLIENT NS_SERVER ADDR STREAMS: received Mbit/s (integer) on stdout; fails on error.
iperf() {
  local nc=$1 nsrv=$2 addr=$3 streams=$4 srv out
  ip netns exec "$nsrv" iperf3 -s -1 -p 5201 >"$TMP/iperf3-server.log" 2>&1 </dev/null &
  srv=$!
  echo "$srv" >>"$PIDFILE"
  wait_listen "$nsrv" 5201 5 || true
  out="$(timeout $((SECS + 20)) ip netns exec "$nc" iperf3 -c "$addr" -p 5201 -t "$SECS" -P "$streams" \
    --connect-timeout 5000 -J 2>/dev/null)" || true
  kill "$srv" 2>/dev/null || true
  echo "$out" >"$TMP/iperf3-client-$streams.json"
  jq -e '.end.sum_received.bits_per_second' >/dev/null 2>&1 <<<"$out" || return 1
  jq -r '.end.sum_received.bits_per_second / 1e6 | floor' <<<"$out"
}

# pingavg NS ADDR: average RTT in ms over 20 pings, with the loss if any.
pingavg() {
  local ns=$1 addr=$2 out avg loss
  out="$(timeout 20 ip netns exec "$ns" ping -n -c 20 -i 0.2 -W 2 "$addr" 2>&1)" || true
  avg="$(awk -F/ '/^(rtt|round-trip)/ {print $5}' <<<"$out")"
  loss="$(grep -o '[0-9.]*% packet loss' <<<"$out" | cut -d% -f1)"
  [ -n "$avg" ] || return 1
  if [ -n "$loss" ] && [ "$loss" != 0 ]; then echo "$avg ($loss% loss)"; else echo "$avg"; fi
}

# measure NAME ADDR_OF_B: one table row, from a to b.
measure() {
  local name=$1 addr=$2 p1 p4 rtt
  # Throughput first, then the ping, so that every tunnel's RTT is measured warm: not in its first seconds, when a
  # just-started daemon is still busy with itself (Woven's runtime compiles its hot paths again then, and its pings
  # in those seconds are slower and jumpier), and after the same work for each.
  log "$name: iperf3 1 stream, ${SECS} s"
  p1="$(iperf "$NSA" "$NSB" "$addr" 1)" || p1="failed"
  log "$name: iperf3 4 streams, ${SECS} s"
  p4="$(iperf "$NSA" "$NSB" "$addr" 4)" || p4="failed"
  log "$name: ping $addr"
  rtt="$(pingavg "$NSA" "$addr")" || rtt="failed"
  log "$name: $p1 / $p4 Mbit/s, ping $rtt ms"
  echo "| $name | $p1 | $p4 | $rtt |" >"$TMP/row"
}

# fail REASON: end the tunnel's setup with REASON in its row.
fail() {
  echo "$*" >"$TMP/reason"
  exit 1
}
# need BIN...: fail with "not installed" unless every BIN is on PATH.
need() {
  local b
  for b in "$@"; do command -v "$b" >/dev/null || fail "not installed ($b missing)"; done
}
# ifmtu NS IF: the interface's MTU, or "?".
ifmtu() { ip -n "$1" -o link show "$2" 2>/dev/null | grep -o 'mtu [0-9]*' | cut -d' ' -f2 | grep . || echo "?"; }
# last_log NAME: the last line of a daemon's log, for a failure reason.
last_log() { tail -n 1 "$TMP/$1.log" 2>/dev/null | tr -d '\r|' | cut -c1-160; }

# ---------- the paths ----------

run_raw() {
  measure "raw veth" "$IPB"
}

# woven_addr SIDE: the node's virtual IPv4 address, once it has one (30 s at most).
woven_addr() {
  local i a
  for i in $(seq 150); do
    a="$(timeout 5 "$WOVEN" ip --state-dir "$TMP/woven-$1" --json 2>/dev/null | jq -r '.address // empty' 2>/dev/null)" || a=""
    [ -n "$a" ] && { echo "$a"; return 0; }
    sleep 0.2
  done
  return 1
}

run_woven() {
  local ver aa ab
  if [ ! -x "$WOVEN" ]; then
    command -v dotnet >/dev/null || fail "not built and no dotnet to build it ($WOVEN)"
    log "woven: building (dotnet build -c Release)"
    timeout 600 dotnet build -c Release "$HERE/../src/Woven.Cli" -v q >"$TMP/woven-build.log" 2>&1 ||
      fail "build failed: $(tail -n 3 "$TMP/woven-build.log" | tr '\n|' '  ')"
    [ -x "$WOVEN" ] || fail "build did not produce $WOVEN"
  fi
  ver="$(timeout 10 "$WOVEN" --version 2>/dev/null | sed -E 's/\+([0-9a-f]{7})[0-9a-f]*$/+\1/')" || ver="?"
  echo "woven $ver" >"$TMP/version"
  spawn "$NSA" woven-a "$WOVEN" up --listen "$IPA:7000" --state-dir "$TMP/woven-a" --vnet --name alpha
  aa="$(woven_addr a)" || fail "node a got no virtual address in 30 s: $(last_log woven-a)"
  spawn "$NSB" woven-b "$WOVEN" up --listen "$IPB:7000" --state-dir "$TMP/woven-b" --vnet --name beta \
    --bootstrap "$IPA:7000"
  ab="$(woven_addr b)" || fail "node b got no virtual address in 30 s: $(last_log woven-b)"
  log "woven: a=$aa b=$ab"
  wait_ping "$NSA" "$ab" 30 || fail "no ping over the tunnel in 30 s ($aa -> $ab)"
  measure "Woven $ver (MTU $(ifmtu "$NSA" woven0))" "$ab"
}

run_wireguard() {
  local ver i
  need wireguard-go wg
  ver="$(pkg_version wireguard-go)"
  echo "wireguard-go $ver, wireguard-tools $(pkg_version wireguard-tools)" >"$TMP/version"
  mkdir -p /var/run/wireguard
  spawn "$NSA" wg-a env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$WGA"
  spawn "$NSB" wg-b env WG_PROCESS_FOREGROUND=1 wireguard-go -f "$WGB"
  for i in $(seq 50); do
    [ -S "/var/run/wireguard/$WGA.sock" ] && [ -S "/var/run/wireguard/$WGB.sock" ] && break
    sleep 0.1
  done
  [ -S "/var/run/wireguard/$WGA.sock" ] || fail "wireguard-go did not start: $(last_log wg-a)"
  [ -S "/var/run/wireguard/$WGB.sock" ] || fail "wireguard-go did not start: $(last_log wg-b)"
  (umask 077 && wg genkey >"$TMP/wg-a.key" && wg genkey >"$TMP/wg-b.key")
  wg pubkey <"$TMP/wg-a.key" >"$TMP/wg-a.pub"
  wg pubkey <"$TMP/wg-b.key" >"$TMP/wg-b.pub"
  ip netns exec "$NSA" wg set "$WGA" private-key "$TMP/wg-a.key" listen-port 51820 \
    peer "$(cat "$TMP/wg-b.pub")" endpoint "$IPB:51820" allowed-ips 10.201.0.2/32
  ip netns exec "$NSB" wg set "$WGB" private-key "$TMP/wg-b.key" listen-port 51820 \
    peer "$(cat "$TMP/wg-a.pub")" endpoint "$IPA:51820" allowed-ips 10.201.0.1/32
  ip -n "$NSA" addr add 10.201.0.1/24 dev "$WGA"
  ip -n "$NSB" addr add 10.201.0.2/24 dev "$WGB"
  ip -n "$NSA" link set "$WGA" mtu 1420 up
  ip -n "$NSB" link set "$WGB" mtu 1420 up
  wait_ping "$NSA" 10.201.0.2 30 || fail "no ping over the tunnel in 30 s"
  measure "wireguard-go $ver (MTU 1420)" 10.201.0.2
}

nebula_config() { # nebula_config SIDE UNDERLAY_IP OVERLAY_PEER UNDERLAY_PEER TUN
  cat >"$TMP/nebula-$1.yml" <<EOF
pki:
  ca: $TMP/nebula-ca.crt
  cert: $TMP/nebula-$1.crt
  key: $TMP/nebula-$1.key
static_host_map:
  "$3": ["$4:4242"]
lighthouse:
  am_lighthouse: false
  hosts: []
listen:
  host: $2
  port: 4242
punchy:
  punch: false
tun:
  disabled: false
  dev: $5
  mtu: 1300
logging:
  level: warning
firewall:
  outbound:
    - port: any
      proto: any
      host: any
  inbound:
    - port: any
      proto: any
      host: any
EOF
}

run_nebula() {
  local ver
  need nebula nebula-cert
  ver="$(pkg_version nebula)"
  echo "nebula $ver" >"$TMP/version"
  (
    cd "$TMP"
    nebula-cert ca -name bench -out-crt nebula-ca.crt -out-key nebula-ca.key
    nebula-cert sign -ca-crt nebula-ca.crt -ca-key nebula-ca.key -name a -ip 10.202.0.1/24 \
      -out-crt nebula-a.crt -out-key nebula-a.key
    nebula-cert sign -ca-crt nebula-ca.crt -ca-key nebula-ca.key -name b -ip 10.202.0.2/24 \
      -out-crt nebula-b.crt -out-key nebula-b.key
  ) >"$TMP/nebula-cert.log" 2>&1 || fail "nebula-cert failed: $(last_log nebula-cert)"
  nebula_config a "$IPA" 10.202.0.2 "$IPB" "neb$$a"
  nebula_config b "$IPB" 10.202.0.1 "$IPA" "neb$$b"
  spawn "$NSA" nebula-a nebula -config "$TMP/nebula-a.yml"
  spawn "$NSB" nebula-b nebula -config "$TMP/nebula-b.yml"
  wait_ping "$NSA" 10.202.0.2 30 || fail "no ping over the tunnel in 30 s: $(last_log nebula-a)"
  measure "nebula $ver (MTU 1300)" 10.202.0.2
}

tinc_setup() { # tinc_setup NAME PEER UNDERLAY_IP OVERLAY_IP IFNAME
  local d="$TMP/tinc-$1"
  mkdir -p "$d/hosts"
  cat >"$d/tinc.conf" <<EOF
Name = $1
Interface = $5
Mode = router
AddressFamily = ipv4
BindToAddress = $3
ConnectTo = $2
EOF
  cat >"$d/hosts/$1" <<EOF
Address = $3
Subnet = $4/32
EOF
  cat >"$d/tinc-up" <<EOF
#!/bin/sh
ip addr add $4/24 dev "\$INTERFACE"
ip link set "\$INTERFACE" up
EOF
  chmod +x "$d/tinc-up"
  tincd -c "$d" -K2048 </dev/null >"$TMP/tinc-keygen-$1.log" 2>&1 || fail "tincd -K failed: $(last_log "tinc-keygen-$1")"
}

run_tinc() {
  local ver
  need tincd
  ver="$(pkg_version tinc)"
  echo "tinc $ver" >"$TMP/version"
  tinc_setup a b "$IPA" 10.203.0.1 "tnc$$a"
  tinc_setup b a "$IPB" 10.203.0.2 "tnc$$b"
  cp "$TMP/tinc-a/hosts/a" "$TMP/tinc-b/hosts/a"
  cp "$TMP/tinc-b/hosts/b" "$TMP/tinc-a/hosts/b"
  spawn "$NSA" tinc-a tincd -c "$TMP/tinc-a" -D -d0 --pidfile "$TMP/tinc-a.pid"
  spawn "$NSB" tinc-b tincd -c "$TMP/tinc-b" -D -d0 --pidfile "$TMP/tinc-b.pid"
  wait_ping "$NSA" 10.203.0.2 30 || fail "no ping over the tunnel in 30 s: $(last_log tinc-a)"
  measure "tinc $ver" 10.203.0.2
}

run_yggdrasil() {
  local ver addr_b
  need yggdrasil
  ver="$(pkg_version yggdrasil)"
  echo "yggdrasil $ver" >"$TMP/version"
  yggdrasil -genconf -json >"$TMP/ygg-a.gen.json" 2>"$TMP/ygg-genconf.log" || fail "yggdrasil -genconf failed"
  yggdrasil -genconf -json >"$TMP/ygg-b.gen.json" 2>"$TMP/ygg-genconf.log" || fail "yggdrasil -genconf failed"
  jq --arg ifn "ygg$$a" --arg l "tcp://$IPA:9001" \
    '.Listen=[$l] | .Peers=[] | .IfName=$ifn | .AdminListen="none" | .MulticastInterfaces=[]' \
    "$TMP/ygg-a.gen.json" >"$TMP/ygg-a.json"
  jq --arg ifn "ygg$$b" --arg p "tcp://$IPA:9001" \
    '.Listen=[] | .Peers=[$p] | .IfName=$ifn | .AdminListen="none" | .MulticastInterfaces=[]' \
    "$TMP/ygg-b.gen.json" >"$TMP/ygg-b.json"
  addr_b="$(timeout 10 yggdrasil -useconffile "$TMP/ygg-b.json" -address 2>/dev/null)" || addr_b=""
  [[ "$addr_b" == 2* ]] || fail "could not read node b's address (yggdrasil -address)"
  spawn "$NSA" ygg-a yggdrasil -useconffile "$TMP/ygg-a.json"
  # b dials a once at start and retries only after a minute or so: let a listen first
  wait_listen "$NSA" 9001 15 || fail "node a does not listen on tcp 9001: $(last_log ygg-a)"
  spawn "$NSB" ygg-b yggdrasil -useconffile "$TMP/ygg-b.json"
  log "yggdrasil: b=$addr_b"
  wait_ping "$NSA" "$addr_b" 30 || fail "no ping6 over the tunnel in 30 s: $(last_log ygg-b)"
  measure "yggdrasil $ver (MTU $(ifmtu "$NSA" "ygg$$a"))" "$addr_b"
}

# run LABEL FUNCTION: one path in a subshell (set -e, its own failure reason), then stop it and clean up.
run() {
  local label=$1 fn=$2 rc reason
  rm -f "$TMP/row" "$TMP/reason" "$TMP/version"
  log "=== $label"
  set +e
  (
    set -eE
    trap 'echo "failed: $BASH_COMMAND (line $LINENO)" >"$TMP/reason"' ERR
    "$fn"
  )
  rc=$?
  set -e
  kill_pids
  remove_tunnels
  [ -f "$TMP/version" ] && VERSIONS+=("$(cat "$TMP/version")")
  if [ $rc -eq 0 ] && [ -f "$TMP/row" ]; then
    ROWS+=("$(cat "$TMP/row")")
  else
    reason="$(cat "$TMP/reason" 2>/dev/null || echo "failed (exit $rc)")"
    log "$label: $reason"
    ROWS+=("| $label: ${reason//|/\/} | – | – | – |")
  fi
}

VERSIONS=("iperf3 $(pkg_version iperf3)")
START_DATE="$(date -u '+%Y-%m-%d %H:%M:%S UTC')"
run "raw veth" run_raw
run "Woven" run_woven
run "wireguard-go" run_wireguard
run "nebula" run_nebula
run "tinc" run_tinc
run "yggdrasil" run_yggdrasil

cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
{
  echo "## VPN comparison: iperf3 TCP ${SECS} s per test, a -> b, two namespaces over a veth pair"
  echo
  echo "- date: $START_DATE"
  echo "- kernel: $(uname -r)"
  echo "- CPU: ${cpu:-unknown} ($(nproc) cores)"
  echo "- CPU busy with other work just before the run: $BUSY_BEFORE % (every tunnel saturates both cores: other load lowers its numbers)"
  echo "- versions: $(IFS=';'; echo "${VERSIONS[*]}" | sed 's/;/; /g')"
  echo
  echo "| path | 1 stream Mbit/s | 4 streams Mbit/s | ping avg ms |"
  echo "|---|---|---|---|"
  printf '%s\n' "${ROWS[@]}"
} | tee "$OUT"
log "written to $OUT"
