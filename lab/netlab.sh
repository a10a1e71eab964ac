#!/usr/bin/env bash
# netlab.sh — a NAT-traversal lab on one machine, built from network namespaces, veth pairs, bridges and
# nftables. Nothing it creates is connected to the machine's own network: every namespace hangs off the
# lab's private "internet" bridge. See lab/README.md for the address plan and the NAT rules.
#
#   netlab.sh create   PREFIX
#   netlab.sh public   PREFIX NAME IP [IP2]
#   netlab.sh site     PREFIX SITE TYPE N
#   netlab.sh host     PREFIX SITE NAME
#   netlab.sh loss     PREFIX NS IFACE PERCENT [out|in|both]
#   netlab.sh rate     PREFIX NS IFACE RATE|off
#   netlab.sh exec     PREFIX NS CMD [ARGS...]
#   netlab.sh list     PREFIX
#   netlab.sh destroy  PREFIX
#   netlab.sh selftest [-v]
set -euo pipefail

PUB=203.0.113                                     # the public segment, 203.0.113.0/24 (RFC 5737)
STATE_ROOT="${NETLAB_STATE:-/run/netlab}"         # per-lab bookkeeping (site types, host counters)
NAT_TYPES="none full-cone restricted port-restricted symmetric udp-blocked"
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"

usage() {
  cat >&2 <<EOF
usage: netlab.sh COMMAND ARGS...
  create   PREFIX                         the "internet": namespace PREFIX-inet with bridge br0 for $PUB.0/24
  public   PREFIX NAME IP [IP2]           public host PREFIX-NAME on $PUB.0/24 (IP2: second address, e.g. RFC 5780 STUN)
  site     PREFIX SITE TYPE N             NAT router PREFIX-SITE: WAN $PUB.(100+N), LAN 10.N.0.1/24; N in 1..99
                                          TYPE: ${NAT_TYPES// / | }
  host     PREFIX SITE NAME               host PREFIX-SITE-NAME in SITE; prints its address
  move     PREFIX SITE NAME NEWSITE       re-plug host PREFIX-SITE-NAME into NEWSITE's LAN (both NAT sites); prints its new address
  loss     PREFIX NS IFACE PERCENT [DIR]  drop PERCENT % of IPv4 packets on IFACE (DIR: out (default) | in | both; 0 removes)
  rate     PREFIX NS IFACE RATE|off       limit IFACE's egress to RATE (tc units: 800kbit, 10mbit, 1gbit)
  exec     PREFIX NS CMD [ARGS...]        run CMD in namespace NS (short name like 's1-h1' or the full name)
  list     PREFIX                         namespaces of the lab and their addresses
  destroy  PREFIX                         kill every process in the lab's namespaces (by PID) and delete them; idempotent
  selftest [-v]                           build a lab with one site of each NAT type, check each behaves as labelled
Names: PREFIX [a-z][a-z0-9]{0,9}; NAME, SITE [a-z][a-z0-9]{0,14} ('inet' is reserved). Needs root.
EOF
  exit 2
}

die() { echo "netlab: $*" >&2; exit 1; }
need_args() { # need_args COUNT-WANTED COUNT-GIVEN COMMAND
  [ "$2" -ge "$1" ] || { echo "netlab: '$3' needs $1 argument(s)" >&2; usage; }
}
need_root() { [ "$(id -u)" -eq 0 ] || die "must run as root (network namespaces and nftables need CAP_NET_ADMIN)"; }

check_prefix() { [[ "$1" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "bad PREFIX '$1': want [a-z][a-z0-9]{0,9} (no dashes)"; }
check_name() {
  [[ "$1" =~ ^[a-z][a-z0-9]{0,14}$ ]] || die "bad name '$1': want [a-z][a-z0-9]{0,14} (no dashes)"
  [ "$1" != inet ] || die "'inet' is reserved for the internet namespace"
}
check_public_ip() { # a public host's address: 203.0.113.1 .. 203.0.113.99
  [[ "$1" =~ ^203\.0\.113\.([0-9]{1,3})$ ]] || die "bad IP '$1': public hosts live in $PUB.1 .. $PUB.99"
  local o=${BASH_REMATCH[1]}
  [ "$((10#$o))" -ge 1 ] && [ "$((10#$o))" -le 99 ] || die "bad IP '$1': public hosts live in $PUB.1 .. $PUB.99"
}

ns_exists() { [ -e "/run/netns/$1" ]; }
state() { echo "$STATE_ROOT/$1"; }
need_lab() { ns_exists "$1-inet" || die "no lab '$1' (run: netlab.sh create $1)"; }

# Full namespace name for a short one ('s1-h1' -> 'PREFIX-s1-h1'); full names pass through.
ns_name() {
  local prefix=$1 ns=$2
  if [[ "$ns" == "$prefix"-* ]]; then echo "$ns"; else echo "$prefix-$ns"; fi
}

# A fresh namespace: loopback up, IPv6 off (keeps the lab IPv4-only and quiet).
new_ns() {
  local ns=$1
  ns_exists "$ns" && die "namespace $ns exists already"
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
}

# br_netfilter is built into this kernel with bridge-nf-call-iptables=1: bridged frames would then cross
# the namespace's IP hooks. Turn that off in every namespace that holds a bridge (LAB-NOTES).
bridge_nf_off() {
  ip netns exec "$1" sysctl -q -w net.bridge.bridge-nf-call-iptables=0 net.bridge.bridge-nf-call-ip6tables=0 \
    net.bridge.bridge-nf-call-arptables=0
}

# Records that IP belongs to NS; fails if another namespace has it.
claim_ip() {
  local prefix=$1 ip=$2 ns=$3 f
  f="$(state "$prefix")/ips"
  touch "$f"
  if grep -q "^$ip " "$f"; then die "address $ip is taken ($(grep "^$ip " "$f" | cut -d' ' -f2))"; fi
  echo "$ip $ns" >>"$f"
}

# Connects namespace NS to the internet bridge: veth created in place (inet end 'vOCTET', NS end IFNAME),
# so no interface ever appears in the machine's own namespace and names stay short and unique.
attach_public() {
  local prefix=$1 ns=$2 ifname=$3 ip=$4 inet="$1-inet" port
  port="v${ip##*.}"
  ip -n "$inet" link add "$port" type veth peer name "$ifname" netns "$ns"
  ip -n "$inet" link set "$port" master br0 up
  ip -n "$ns" addr add "$ip/24" dev "$ifname"
  ip -n "$ns" link set "$ifname" up
}

cmd_create() {
  need_args 1 $# create
  local prefix=$1
  check_prefix "$prefix"
  need_root
  ns_exists "$prefix-inet" && die "lab '$prefix' exists already"
  mkdir -p "$(state "$prefix")/sites"
  new_ns "$prefix-inet"
  ip -n "$prefix-inet" link add br0 type bridge
  ip -n "$prefix-inet" link set br0 up
  bridge_nf_off "$prefix-inet"
  echo "$prefix-inet"
}

cmd_public() {
  need_args 3 $# public
  local prefix=$1 name=$2 ip=$3 ip2=${4:-} ns
  check_prefix "$prefix"; check_name "$name"; check_public_ip "$ip"
  [ -z "$ip2" ] || check_public_ip "$ip2"
  need_root; need_lab "$prefix"
  ns="$prefix-$name"
  claim_ip "$prefix" "$ip" "$ns"
  [ -z "$ip2" ] || claim_ip "$prefix" "$ip2" "$ns"
  new_ns "$ns"
  attach_public "$prefix" "$ns" eth0 "$ip"
  [ -z "$ip2" ] || ip -n "$ns" addr add "$ip2/24" dev eth0
  echo "$ip${ip2:+ $ip2}"
}

# The router's nftables ruleset for a NAT type. WAN: the router's public address; DMZ: the site's first
# host (10.N.0.10), the inside end of the 1:1 NAT for full-cone and restricted. README explains each rule.
router_rules() {
  local type=$1 wan=$2 dmz=$3
  cat <<EOF
table ip netlab {
EOF
  if [ "$type" = restricted ]; then
    cat <<EOF
  set restricted {
    type inet_service . ipv4_addr
    flags timeout
    timeout 120s
  }
EOF
  fi
  cat <<EOF
  chain input {
    type filter hook input priority filter; policy drop;
    ct state established,related accept
    iifname "lo" accept
    iifname "lan" accept
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state invalid drop
    ct state established,related accept
EOF
  [ "$type" != udp-blocked ] || echo '    iifname "lan" oifname "wan" meta l4proto udp drop'
  echo '    iifname "lan" oifname "wan" accept'
  case "$type" in full-cone | restricted) echo '    iifname "wan" oifname "lan" ct status dnat accept' ;; esac
  cat <<EOF
  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
EOF
  case "$type" in
    full-cone | restricted) echo "    oifname \"wan\" ip saddr $dmz snat to $wan"
                            echo '    oifname "wan" masquerade' ;;
    symmetric) echo '    oifname "wan" masquerade fully-random' ;;
    *) echo '    oifname "wan" masquerade' ;;
  esac
  echo '  }'
  case "$type" in
    full-cone) cat <<EOF
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" ip daddr $wan dnat to $dmz
  }
EOF
      ;;
    restricted) cat <<EOF
  chain record {
    type filter hook postrouting priority srcnat + 10; policy accept;
    oifname "wan" ct original ip saddr $dmz update @restricted { udp sport . ip daddr }
  }
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    iifname "wan" ip daddr $wan udp dport . ip saddr @restricted dnat to $dmz
  }
EOF
      ;;
  esac
  echo '}'
}

cmd_site() {
  need_args 4 $# site
  local prefix=$1 site=$2 type=$3 n=$4 ns wan f
  check_prefix "$prefix"; check_name "$site"
  [[ " $NAT_TYPES " == *" $type "* ]] || die "bad TYPE '$type': want one of: $NAT_TYPES"
  [[ "$n" =~ ^[0-9]{1,2}$ ]] && [ "$((10#$n))" -ge 1 ] || die "bad N '$n': want 1..99"
  n=$((10#$n))
  need_root; need_lab "$prefix"
  ns="$prefix-$site"
  [ ! -e "$(state "$prefix")/sites/$site" ] && ! ns_exists "$ns" || die "site or namespace $ns exists already"
  for f in "$(state "$prefix")"/sites/*; do
    [ -e "$f" ] || continue
    [ "$(cut -d' ' -f2 "$f")" != "$n" ] || die "site number $n is taken by site $(basename "$f")"
  done
  wan="$PUB.$((100 + n))"
  echo "$type $n" >"$(state "$prefix")/sites/$site"
  mkdir -p "$(state "$prefix")/hosts"
  echo 0 >"$(state "$prefix")/hosts/$site"
  if [ "$type" = none ]; then
    echo "site $site: no NAT; its hosts sit on the public segment (first host $wan, more from $PUB.200-254)"
    return
  fi
  claim_ip "$prefix" "$wan" "$ns"
  new_ns "$ns"
  attach_public "$prefix" "$ns" wan "$wan"
  ip -n "$ns" link add lan type bridge
  ip -n "$ns" addr add "10.$n.0.1/24" dev lan
  ip -n "$ns" link set lan up
  bridge_nf_off "$ns"
  ip netns exec "$ns" sysctl -q -w net.ipv4.ip_forward=1
  router_rules "$type" "$wan" "10.$n.0.10" | ip netns exec "$ns" nft -f -
  echo "site $site: $type NAT, WAN $wan, LAN 10.$n.0.0/24"
}

plug_lan() { # plug_lan ROUTER-NS SITE-NUMBER HOST-INDEX HOST-NS: a cable from the router's LAN bridge, address 10.N.0.(10+K)
  local router=$1 n=$2 k=$3 ns=$4
  ip -n "$router" link add "h$k" type veth peer name eth0 netns "$ns"
  ip -n "$router" link set "h$k" master lan up
  ip -n "$ns" addr add "10.$n.0.$((10 + k))/24" dev eth0
  ip -n "$ns" link set eth0 up
  ip -n "$ns" route add default via "10.$n.0.1"
}

cmd_host() {
  need_args 3 $# host
  local prefix=$1 site=$2 name=$3 ns type n k ip sf o
  check_prefix "$prefix"; check_name "$site"; check_name "$name"
  need_root; need_lab "$prefix"
  sf="$(state "$prefix")/sites/$site"
  [ -e "$sf" ] || die "no site '$site' in lab '$prefix' (run: netlab.sh site $prefix $site TYPE N)"
  read -r type n <"$sf"
  k=$(cat "$(state "$prefix")/hosts/$site")
  ns="$prefix-$site-$name"
  ns_exists "$ns" && die "namespace $ns exists already"
  if [ "$type" = none ]; then
    if [ "$k" -eq 0 ]; then
      ip="$PUB.$((100 + n))"
    else
      ip=""
      for o in $(seq 200 254); do
        grep -q "^$PUB.$o " "$(state "$prefix")/ips" 2>/dev/null || { ip="$PUB.$o"; break; }
      done
      [ -n "$ip" ] || die "no free public address left in $PUB.200-254"
    fi
    claim_ip "$prefix" "$ip" "$ns"
    new_ns "$ns"
    attach_public "$prefix" "$ns" eth0 "$ip"
  else
    [ "$k" -le 200 ] || die "site $site is full"
    ip="10.$n.0.$((10 + k))"
    new_ns "$ns"
    plug_lan "$prefix-$site" "$n" "$k" "$ns"
  fi
  echo $((k + 1)) >"$(state "$prefix")/hosts/$site"
  echo "$ip"
}

cmd_move() {
  need_args 4 $# move
  local prefix=$1 site=$2 name=$3 newsite=$4 ns sf type n k ip
  check_prefix "$prefix"; check_name "$site"; check_name "$name"; check_name "$newsite"
  need_root; need_lab "$prefix"
  ns="$prefix-$site-$name"
  ns_exists "$ns" || die "no host $ns (run: netlab.sh host $prefix $site $name)"
  sf="$(state "$prefix")/sites/$site"
  [ "$(cut -d' ' -f1 <"$sf")" != none ] || die "host $ns is in a public site; only hosts behind NAT routers can move"
  sf="$(state "$prefix")/sites/$newsite"
  [ -e "$sf" ] || die "no site '$newsite' in lab '$prefix'"
  read -r type n <"$sf"
  [ "$type" != none ] || die "site '$newsite' is public; a host can only move into a NAT site"
  k=$(cat "$(state "$prefix")/hosts/$newsite")
  [ "$k" -le 200 ] || die "site $newsite is full"
  ip="10.$n.0.$((10 + k))"
  # Unplug: deleting the host's end deletes the router's end too. Then plug a new cable into the new router's LAN.
  ip -n "$ns" link del eth0
  plug_lan "$prefix-$newsite" "$n" "$k" "$ns"
  echo $((k + 1)) >"$(state "$prefix")/hosts/$newsite"
  echo "$ip"
}

cmd_loss() {
  need_args 4 $# loss
  local prefix=$1 ns iface=$3 pct=$4 dir=${5:-out} table hooks h
  check_prefix "$prefix"; need_root
  ns=$(ns_name "$prefix" "$2")
  ns_exists "$ns" || die "no namespace $ns"
  [[ "$pct" =~ ^[0-9]{1,3}$ ]] && [ "$((10#$pct))" -le 100 ] || die "bad PERCENT '$pct': want 0..100"
  pct=$((10#$pct))
  case "$dir" in out) hooks=egress ;; in) hooks=ingress ;; both) hooks="ingress egress" ;; *) die "bad DIR '$dir': want out | in | both" ;; esac
  ip -n "$ns" link show "$iface" >/dev/null 2>&1 || die "no interface $iface in $ns"
  table="loss_${iface//[^a-zA-Z0-9]/_}"
  ip netns exec "$ns" nft delete table netdev "$table" 2>/dev/null || true
  [ "$pct" -gt 0 ] || return 0
  {
    echo "table netdev $table {"
    for h in $hooks; do
      echo "  chain $h { type filter hook $h device \"$iface\" priority filter; policy accept;"
      if [ "$pct" -lt 100 ]; then echo "    meta protocol ip numgen random mod 100 < $pct drop"
      else echo "    meta protocol ip drop"; fi # nft rejects '< 100' (out of range for mod 100)
      echo "  }"
    done
    echo "}"
  } | ip netns exec "$ns" nft -f -
}

cmd_rate() {
  need_args 4 $# rate
  local prefix=$1 ns iface=$3 rate=$4 num unit bps burst
  check_prefix "$prefix"; need_root
  ns=$(ns_name "$prefix" "$2")
  ns_exists "$ns" || die "no namespace $ns"
  ip -n "$ns" link show "$iface" >/dev/null 2>&1 || die "no interface $iface in $ns"
  if [ "$rate" = off ]; then
    ip netns exec "$ns" tc qdisc del dev "$iface" root 2>/dev/null || true
    return 0
  fi
  [[ "$rate" =~ ^([0-9]+)(bit|kbit|mbit|gbit)$ ]] || die "bad RATE '$rate': want e.g. 800kbit, 10mbit, 1gbit (or off)"
  num=${BASH_REMATCH[1]}; unit=${BASH_REMATCH[2]}
  case "$unit" in bit) bps=$num ;; kbit) bps=$((num * 1000)) ;; mbit) bps=$((num * 1000000)) ;; gbit) bps=$((num * 1000000000)) ;; esac
  # Bucket: 10 ms worth of bytes, at least 128 KiB so one 64 KiB GSO super-packet from the veth always fits.
  burst=$((bps / 8 / 100))
  [ "$burst" -ge 131072 ] || burst=131072
  ip netns exec "$ns" tc qdisc replace dev "$iface" root tbf rate "$rate" burst "$burst" latency 50ms
}

cmd_exec() {
  need_args 3 $# exec
  local prefix=$1 ns
  check_prefix "$prefix"; need_root
  ns=$(ns_name "$prefix" "$2")
  ns_exists "$ns" || die "no namespace $ns"
  shift 2
  exec ip netns exec "$ns" "$@"
}

lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-" | sort || true; }

cmd_list() {
  need_args 1 $# list
  local prefix=$1 ns f
  check_prefix "$prefix"; need_root
  for f in "$(state "$prefix")"/sites/*; do
    [ -e "$f" ] || continue
    echo "site $(basename "$f"): $(cat "$f")"
  done
  for ns in $(lab_namespaces "$prefix"); do
    printf '%-28s %s\n' "$ns" "$(ip -n "$ns" -4 -o addr show scope global 2>/dev/null | awk '{printf "%s:%s ", $2, $4}')"
  done
}

cmd_destroy() {
  need_args 1 $# destroy
  local prefix=$1 ns pid pids=() left=() i spaces remaining
  check_prefix "$prefix"; need_root
  spaces=$(lab_namespaces "$prefix")
  for ns in $spaces; do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      [ "$pid" != "$$" ] || continue
      pids+=("$pid")
      kill -TERM "$pid" 2>/dev/null || true
    done
  done
  if [ ${#pids[@]} -gt 0 ]; then
    for i in $(seq 1 20); do # up to 2 s for a clean exit, then SIGKILL
      left=()
      for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
      [ ${#left[@]} -gt 0 ] || break
      sleep 0.1
    done
    for pid in "${left[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  for ns in $spaces; do ip netns del "$ns" 2>/dev/null || true; done
  rm -rf "$(state "$prefix")"
  remaining=$(lab_namespaces "$prefix")
  [ -z "$remaining" ] || die "could not delete: $remaining"
}

# ---------------------------------------------------------------------------------------------------------
# selftest: one site of each type, RFC 5780 discovery against coturn, TCP check, verdict table.

# STUN Binding request over TCP with bash's /dev/tcp; prints the first two bytes of the answer in hex
# ("0101" = Binding success response).
tcp_probe_script='exec 3<>/dev/tcp/$0/3478 || exit 1
printf "\x00\x01\x00\x00\x21\x12\xa4\x42netlabtcp123" >&3
head -c 2 <&3 | od -An -tx1 | tr -d " \n"'

# First "UDP reflexive addr" (the mapped address) and first "Local addr" of a natdiscovery run.
first_mapped() { grep -m1 -o 'UDP reflexive addr: [0-9.:]*' "$1" | awk '{print $NF}' || true; }
first_local() { grep -m1 -o 'Local addr: : [0-9.:]*' "$1" | awk '{print $NF}' || true; }

classify_mapping() { # natdiscovery -m output -> none | EI | AD | APD | no-answer | ?
  local f=$1 mapped loc
  mapped=$(first_mapped "$f"); loc=$(first_local "$f")
  if ! grep -q 'Response origin' "$f"; then echo no-answer
  elif [ -n "$mapped" ] && [ "$mapped" = "$loc" ]; then echo none
  elif grep -qi 'Endpoint Independent Mapping' "$f"; then echo EI
  elif grep -qi 'Address and Port Dependent Mapping' "$f"; then echo APD
  elif grep -qi 'Address Dependent Mapping' "$f"; then echo AD
  else echo '?'; fi
}
classify_filtering() {
  local f=$1
  if ! grep -q 'Response origin' "$f"; then echo no-answer
  elif grep -qi 'Endpoint Independent Filtering' "$f"; then echo EI
  elif grep -qi 'Address and Port Dependent Filtering' "$f"; then echo APD
  elif grep -qi 'Address Dependent Filtering' "$f"; then echo AD
  else echo '?'; fi
}

cmd_selftest() {
  local verbose=0
  case "${1:-}" in -v) verbose=1 ;; "") ;; *) usage ;; esac
  need_root
  local t0 prefix tmp turn_pid="" rc=0 stun1=$PUB.2 stun2=$PUB.3 i type site ns ip t
  for t in turnserver turnutils_natdiscovery nft ip tc od timeout; do
    command -v "$t" >/dev/null || die "selftest needs '$t' on PATH (Debian: apt-get install --no-install-recommends coturn nftables iproute2)"
  done
  t0=$(date +%s)
  prefix="nl$(od -An -N3 -tx1 /dev/urandom | tr -d ' \n')"
  tmp=$(mktemp -d /tmp/netlab-selftest.XXXXXX)
  # shellcheck disable=SC2064 # expand now: the trap must know this run's prefix and directory
  trap "selftest_cleanup '$prefix' '$tmp'" EXIT
  trap 'exit 130' INT TERM
  echo "selftest: lab $prefix, scratch $tmp"

  local types=(none full-cone restricted port-restricted symmetric udp-blocked)
  build() { "$SELF" "$@" 2>>"$tmp/build.log" || { cat "$tmp/build.log" >&2; die "building the lab failed: netlab.sh $*"; }; }
  build create "$prefix" >/dev/null
  build public "$prefix" stun "$stun1" "$stun2" >/dev/null
  for i in "${!types[@]}"; do
    build site "$prefix" "s$((i + 1))" "${types[$i]}" "$((i + 1))" >/dev/null
    build host "$prefix" "s$((i + 1))" h1 >"$tmp/s$((i + 1)).ip"
  done

  # coturn, STUN only, on both addresses (RFC 5780 needs a second IP and, by default, port 3479).
  cat >"$tmp/turnserver.conf" <<EOF
listening-ip=$stun1
listening-ip=$stun2
listening-port=3478
alt-listening-port=3479
stun-only
no-tls
no-dtls
no-cli
no-software-attribute
pidfile=$tmp/turnserver.pid
log-file=$tmp/turnserver.log
simple-log
no-stdout-log
userdb=$tmp/turndb
EOF
  ip netns exec "$prefix-stun" turnserver -c "$tmp/turnserver.conf" >"$tmp/turnserver.out" 2>&1 &
  turn_pid=$!
  echo "$turn_pid" >"$tmp/turn_pid"
  for i in $(seq 1 50); do
    [ "$(ip netns exec "$prefix-stun" ss -Hlun | grep -cE "($stun1|$stun2):347[89] ")" -ge 4 ] && break
    kill -0 "$turn_pid" 2>/dev/null || { cat "$tmp/turnserver.out" >&2; die "turnserver exited"; }
    sleep 0.1
  done

  # Probes, all sites in parallel: mapping discovery, then filtering discovery (separate runs, so each uses
  # a fresh local port and the mapping test's packets to the second address cannot open the filter), and
  # a STUN Binding over TCP.
  local pids=()
  for i in "${!types[@]}"; do
    site="s$((i + 1))"; ns="$prefix-$site-h1"; ip=$(cat "$tmp/$site.ip")
    (
      timeout 30 ip netns exec "$ns" turnutils_natdiscovery -m -L "$ip" "$stun1" >"$tmp/$site.map" 2>&1 || true
      timeout 30 ip netns exec "$ns" turnutils_natdiscovery -f -L "$ip" "$stun1" >"$tmp/$site.filt" 2>&1 || true
      timeout 5 ip netns exec "$ns" bash -c "$tcp_probe_script" "$stun1" >"$tmp/$site.tcp" 2>/dev/null || true
    ) &
    pids+=($!)
    echo "$!" >>"$tmp/probe_pids"
  done
  for i in "${pids[@]}"; do wait "$i" || true; done

  local map filt tcp want_map want_filt verdict
  printf '\n%-16s %-20s %-21s %-10s %-10s %-4s %s\n' TYPE LOCAL MAPPED MAPPING FILTERING TCP VERDICT
  for i in "${!types[@]}"; do
    type=${types[$i]}; site="s$((i + 1))"
    map=$(classify_mapping "$tmp/$site.map")
    filt=$(classify_filtering "$tmp/$site.filt")
    [ "$(cat "$tmp/$site.tcp")" = 0101 ] && tcp=ok || tcp=fail
    case "$type" in
      none)            want_map=none;      want_filt=EI ;;
      full-cone)       want_map=EI;        want_filt=EI ;;
      restricted)      want_map=EI;        want_filt=AD ;;
      port-restricted) want_map=EI;        want_filt=APD ;;
      symmetric)       want_map='AD|APD';  want_filt=APD ;;
      udp-blocked)     want_map=no-answer; want_filt=no-answer ;;
    esac
    if [[ "$map" =~ ^($want_map)$ ]] && [[ "$filt" =~ ^($want_filt)$ ]] && [ "$tcp" = ok ]; then
      verdict=PASS
    else
      verdict="FAIL (want mapping $want_map, filtering $want_filt, tcp ok)"; rc=1
    fi
    printf '%-16s %-20s %-21s %-10s %-10s %-4s %s\n' "$type" "$(first_local "$tmp/$site.map" | grep . || cat "$tmp/$site.ip")" \
      "$(first_mapped "$tmp/$site.map" | grep . || echo -)" "$map" "$filt" "$tcp" "$verdict"
  done
  echo
  if [ "$rc" -ne 0 ] || [ "$verbose" = 1 ]; then
    for i in "${!types[@]}"; do
      site="s$((i + 1))"
      echo "---- ${types[$i]} ($site): natdiscovery -m"; cat "$tmp/$site.map"
      echo "---- ${types[$i]} ($site): natdiscovery -f"; cat "$tmp/$site.filt"
    done
    echo "---- router rulesets"
    for i in "${!types[@]}"; do
      ns="$prefix-s$((i + 1))"; ns_exists "$ns" || continue
      echo "## $ns"; ip netns exec "$ns" nft list ruleset
    done
  fi
  echo "selftest: $([ "$rc" -eq 0 ] && echo PASS || echo FAIL) in $(($(date +%s) - t0)) s"
  return "$rc"
}

selftest_cleanup() {
  local prefix=$1 tmp=$2 pid
  pid=$(cat "$tmp/turn_pid" 2>/dev/null || true)
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then kill -TERM "$pid" 2>/dev/null || true; fi
  for pid in $(cat "$tmp/probe_pids" 2>/dev/null || true); do kill -TERM "$pid" 2>/dev/null || true; done
  "$SELF" destroy "$prefix" || echo "netlab: cleanup of lab $prefix failed" >&2
  rm -rf "$tmp"
}

main() {
  [ $# -ge 1 ] || usage
  local cmd=$1
  shift
  case "$cmd" in
    create) cmd_create "$@" ;;
    public) cmd_public "$@" ;;
    site) cmd_site "$@" ;;
    host) cmd_host "$@" ;;
    move) cmd_move "$@" ;;
    loss) cmd_loss "$@" ;;
    rate) cmd_rate "$@" ;;
    exec) cmd_exec "$@" ;;
    list) cmd_list "$@" ;;
    destroy) cmd_destroy "$@" ;;
    selftest) [ $# -le 1 ] || usage; cmd_selftest "$@" ;;
    -h | --help | help) usage ;;
    *) echo "netlab: unknown command '$cmd'" >&2; usage ;;
  esac
}

main "$@"
