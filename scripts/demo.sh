#!/usr/bin/env bash
# The demo: a balancer between a client and three nginx real servers, each in its own network namespace.
#
#   scripts/demo.sh            builds, runs the demo, then stays up until Ctrl-C so that you can try things
#   scripts/demo.sh --once     runs the demo to the end and exits: 0 when every request was answered
#   scripts/demo.sh --help
#
# Environment: FULCRUM_DEMO_DRIVER=af_xdp|af_packet (default af_xdp, falling back to af_packet when fulcrumd
# can not start on it), FULCRUM_DEMO_BUILD=release|debug|asan (default release), FULCRUM_DEMO_NO_BUILD=1 to
# run what is already built.
#
# The lab (addresses from the benchmarking ranges, 198.18.0.0/15 and 2001:db8::/32):
#
#   fdemo-cli   c0 198.18.0.2/24 2001:db8::2/64 ------------- fdemo-b0 = dpdk0   fdemo-bal: fulcrumd
#               c1 198.18.1.2/24 (the DR return path) --+       198.18.0.1 2001:db8::1, the VIPs
#                                                       |     fdemo-b1 = dpdk1   198.18.1.1 2001:db8:1::1
#                                                       |       and the FullNAT local addresses .10 / ::10
#   fdemo-sw    bridge br0: sc -------------------------+------ s0
#                           s1, s2, s3
#   fdemo-rs1..3  eth0 198.18.1.11-13/24 2001:db8:1::11-13/64, nginx on port 80; the DR VIP on lo
#
# FullNAT (VIP 198.18.0.100 and 2001:db8::100, port 80) is set up with Fulcrum's own ipvsadm; DR (VIP
# 198.18.0.200, port 80) with Debian's unmodified /usr/sbin/ipvsadm through the fulcrum-bridge preload
# library. FullNAT replies come back through the balancer; DR replies go from the real servers straight to
# the client, over the client's second leg c1 (which stands for the router a real network would have).
#
# Everything the demo starts is recorded in /run/fulcrum-demo/pids and stopped by PID; a run that was killed
# leaves that file and its namespaces behind, and the next run cleans them up first.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

once=0
for arg in "$@"; do
  case "$arg" in
    --once) once=1 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "demo: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done
if [ "$(id -u)" -ne 0 ]; then
  echo "demo: run me as root: I create network namespaces and start fulcrumd" >&2
  exit 1
fi

driver=${FULCRUM_DEMO_DRIVER:-af_xdp}
build_type=${FULCRUM_DEMO_BUILD:-release}
case "$driver" in af_xdp|af_packet) ;; *) echo "demo: FULCRUM_DEMO_DRIVER is af_xdp or af_packet" >&2; exit 2 ;; esac
started=$(date +%s)

# Headings in bold on a terminal, plain in a CI log.
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
say() { printf '\n%s== %s%s\n' "$bold" "$*" "$plain"; }
# Shows a command, then runs it: the demo is also a transcript of how to set Fulcrum up by hand.
show() { printf '  $ %s\n' "$*"; "$@"; }

# ---- dependencies and the build ----
if [ "${FULCRUM_DEMO_NO_BUILD:-0}" != 1 ]; then
  say "dependencies (scripts/install-deps.sh) and a $build_type build of what the demo runs"
  bash scripts/install-deps.sh
  case "$build_type" in release) cmake_type=Release ;; debug) cmake_type=Debug ;; asan) cmake_type=Asan ;;
    *) echo "demo: FULCRUM_DEMO_BUILD is release, debug or asan" >&2; exit 2 ;; esac
  generator=()
  command -v ninja >/dev/null && generator=(-G Ninja)
  # Configured as scripts/build.sh configures build/<type>, but only the four programs the demo runs are
  # built (160 of the tree's 257 compile and link steps): the unit tests and benchmarks would add minutes on a
  # two-core machine, and a test that does not compile would stop the demo.
  # Two builds of one tree at once (a demo and a test run) would interleave; flock makes the second wait.
  flock /tmp/fulcrum-build.lock bash -c '
    cmake -S . -B "build/$1" "${@:3}" -DCMAKE_BUILD_TYPE="$2" >/dev/null &&
    cmake --build "build/$1" -j "$(nproc)" --target fulcrumd dpip ipvsadm fulcrum_bridge' \
    build "$build_type" "$cmake_type" "${generator[@]}"
  echo "demo: build/$build_type/{daemon/fulcrumd,tools/dpip/dpip,tools/ipvsadm/ipvsadm,ctrl/bridge/fulcrum-bridge} are up to date"
fi
bin=$root/build/$build_type
fulcrumd=$bin/daemon/fulcrumd
ipvsadm=$bin/tools/ipvsadm/ipvsadm
dpip=$bin/tools/dpip/dpip
bridge=$bin/ctrl/bridge/fulcrum-bridge
stock_ipvsadm=/usr/sbin/ipvsadm
for f in "$fulcrumd" "$ipvsadm" "$dpip" "$bridge" "$stock_ipvsadm"; do
  [ -x "$f" ] || { echo "demo: $f is missing (build it, or install the ipvsadm package)" >&2; exit 1; }
done

# ---- the lab's names and addresses ----
state=/run/fulcrum-demo
sock=$state/ctrl.sock
pids=$state/pids
NS_CLI=fdemo-cli NS_BAL=fdemo-bal NS_SW=fdemo-sw
RS=(rs1 rs2 rs3)
declare -A RS4=([rs1]=198.18.1.11 [rs2]=198.18.1.12 [rs3]=198.18.1.13)
declare -A RS6=([rs1]=2001:db8:1::11 [rs2]=2001:db8:1::12 [rs3]=2001:db8:1::13)
VIP4=198.18.0.100 VIP6=2001:db8::100 DR_VIP=198.18.0.200
LADDR4=198.18.1.10 LADDR6=2001:db8:1::10
CLIENT4=198.18.0.2 CLIENT6=2001:db8::2 CLIENT_RS_LEG=198.18.1.2
REQUESTS=30

# ---- cleaning up: this run's lab, or one a killed run left behind ----
# Stops one process that the demo started: TERM, a few seconds' grace, then KILL. The name check keeps a
# PID that was reused by something else since from being touched.
stop_pid() {
  local pid=$1 name=$2
  [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = "$name" ] || return 0
  [ "$name" = fulcrumd ] && echo "demo: stopping fulcrumd ($pid)"
  kill -TERM "$pid" 2>/dev/null || return 0
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

lab_namespaces() { ip netns list 2>/dev/null | awk '$1 ~ /^fdemo-/ {print $1}'; }

teardown() {
  if [ -f "$pids" ]; then
    while read -r name pid; do
      stop_pid "$pid" "$name"
    done < "$pids"
    rm -f "$pids"
  fi
  # A run killed between starting a process and recording it leaves that process in one of our namespaces:
  # a fulcrumd or nginx there is ours. Anything else (a shell someone opened with `ip netns exec`) is left
  # alone; deleting the namespace's name does not disturb it.
  for ns in $(lab_namespaces); do
    for pid in $(ip netns pids "$ns" 2>/dev/null); do
      case "$(cat /proc/"$pid"/comm 2>/dev/null)" in
        fulcrumd|nginx) stop_pid "$pid" "$(cat /proc/"$pid"/comm 2>/dev/null)" ;;
      esac
    done
    ip netns del "$ns" 2>/dev/null || true
  done
}

if [ -f "$pids" ] || [ -n "$(lab_namespaces)" ]; then
  say "cleaning up the lab an earlier run left behind"
  teardown
fi
mkdir -p "$state"
rm -rf "${state:?}"/rs? "$state"/fulcrumd.*

finished=0
on_exit() {
  local rc=$?
  if [ "$finished" = 0 ] && [ -f "$state/fulcrumd.log" ] && [ "$rc" != 0 ] && [ "$rc" != 130 ]; then
    echo "demo: failed (exit $rc); the end of fulcrumd's log:" >&2
    tail -n 20 "$state/fulcrumd.log" >&2 || true
  fi
  say "tearing the lab down"
  teardown
  echo "demo: done ($(( $(date +%s) - started )) s)"
  exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT TERM

record() { echo "$1 $2" >> "$pids"; }

# ---- the namespaces and links ----
say "the lab: namespaces $NS_CLI, $NS_BAL, $NS_SW, fdemo-rs1..3"
nsx() { ip netns exec "$@"; }

new_ns() {
  ip netns add "$1"
  ip -n "$1" link set lo up
}
# A veth pair with one end in each namespace, both up.
veth() {
  ip link add "$1" netns "$2" type veth peer name "$3" netns "$4"
  ip -n "$2" link set "$1" up
  ip -n "$4" link set "$3" up
}
# Kernel endpoints whose frames DPDK reads get full checksums (no offload): af_packet and AF_XDP pass on a
# partial checksum as it is, and the far end would drop the packet. This turns TSO off too.
full_checksums() { nsx "$1" ethtool -K "$2" tx off >/dev/null; }

for ns in $NS_CLI $NS_BAL $NS_SW "${RS[@]/#/fdemo-}"; do new_ns "$ns"; done
# The balancer's kernel must neither answer nor forward what the DPDK ports also see: no IPv6 there, no
# forwarding, and no kernel address on the veths that DPDK owns.
nsx $NS_BAL sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
# No IPv6 on the switch (only the bridge, which needs no address) either: quieter wires.
nsx $NS_SW sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1

# client <-> dpdk0
veth fdemo-b0 $NS_BAL c0 $NS_CLI
ip -n $NS_BAL link set fdemo-b0 address 02:00:c6:12:10:01
nsx $NS_CLI sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
  net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0
full_checksums $NS_CLI c0
ip -n $NS_CLI addr add $CLIENT4/24 dev c0
ip -n $NS_CLI addr add $CLIENT6/64 dev c0 nodad
ip -n $NS_CLI route add 198.18.0.0/15 via 198.18.0.1
ip -n $NS_CLI -6 route add 2001:db8::/32 via 2001:db8::1

# dpdk1 <-> the switch <-> the real servers
ip -n $NS_SW link add br0 type bridge mcast_snooping 0 stp_state 0  # no snooping: fulcrumd sends no MLD
veth fdemo-b1 $NS_BAL s0 $NS_SW
ip -n $NS_BAL link set fdemo-b1 address 02:00:c6:12:11:01
ip -n $NS_SW link set s0 master br0
full_checksums $NS_SW s0
for i in 1 2 3; do
  n=rs$i ns=fdemo-rs$i
  veth s$i $NS_SW eth0 "$ns"
  ip -n $NS_SW link set s$i master br0
  full_checksums $NS_SW s$i
  full_checksums "$ns" eth0
  # DR: the real server holds the DR VIP on lo, and must neither answer ARP for it (arp_ignore=1) nor use it
  # as the source of its own ARP requests (arp_announce=2): only the balancer may own the VIP on the wire.
  nsx "$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
    net.ipv4.conf.all.arp_ignore=1 net.ipv4.conf.all.arp_announce=2
  ip -n "$ns" addr add "${RS4[$n]}/24" dev eth0
  ip -n "$ns" addr add "${RS6[$n]}/64" dev eth0 nodad
  ip -n "$ns" addr add $DR_VIP/32 dev lo
  # DR replies leave from the VIP straight to the client: through the client's leg on this segment.
  ip -n "$ns" route add 198.18.0.0/24 via $CLIENT_RS_LEG
done
# The DR return path: the client's second leg on the real servers' segment.
veth sc $NS_SW c1 $NS_CLI
ip -n $NS_SW link set sc master br0
ip -n $NS_CLI addr add $CLIENT_RS_LEG/24 dev c1
ip -n $NS_SW link set br0 up

# ---- the real servers: one nginx each, with its own config, pid file and logs ----
say "three real servers: nginx on port 80 (IPv4 and IPv6), each answering with its name"
for n in "${RS[@]}"; do
  d=$state/$n
  mkdir -p "$d/tmp"
  cat > "$d/nginx.conf" <<EOF
# $n of the Fulcrum demo (scripts/demo.sh writes this file)
daemon off;
worker_processes 1;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path $d/tmp/body;
  proxy_temp_path $d/tmp/proxy;
  fastcgi_temp_path $d/tmp/fastcgi;
  uwsgi_temp_path $d/tmp/uwsgi;
  scgi_temp_path $d/tmp/scgi;
  server {
    listen 80;
    listen [::]:80 ipv6only=on;
    default_type text/plain;
    # Who answered, on which of its addresses, and whom it saw: with FullNAT the balancer's local address,
    # with DR the client itself.
    location / { return 200 "$n on \$server_addr saw \$remote_addr\n"; }
  }
}
EOF
  # `ip netns exec` execs nginx, so \$! is nginx's master process.
  ip netns exec "fdemo-$n" nginx -c "$d/nginx.conf" -e "$d/error.log" &
  record nginx $!
done
for n in "${RS[@]}"; do
  for _ in $(seq 100); do
    nsx "fdemo-$n" curl -s -o /dev/null --max-time 1 "http://127.0.0.1/" && break
    sleep 0.1
  done
  nsx "fdemo-$n" curl -sS --max-time 2 "http://127.0.0.1/" >/dev/null || { echo "demo: nginx of $n did not start" >&2; cat "$state/$n/error.log" >&2; exit 1; }
done
echo "  rs1 ${RS4[rs1]} ${RS6[rs1]}, rs2 ${RS4[rs2]} ${RS6[rs2]}, rs3 ${RS4[rs3]} ${RS6[rs3]}"

# ---- fulcrumd ----
cpus=$(nproc)
write_config() {  # $1: af_xdp or af_packet
  local vdev0 vdev1
  if [ "$1" = af_xdp ]; then
    vdev0="net_af_xdp0,iface=fdemo-b0" vdev1="net_af_xdp1,iface=fdemo-b1"
  else
    # qpairs: an RX queue for the worker, TX queues for the worker and the master.
    vdev0="net_af_packet0,iface=fdemo-b0,qdisc_bypass=1,qpairs=2"
    vdev1="net_af_packet1,iface=fdemo-b1,qdisc_bypass=1,qpairs=2"
  fi
  cat > "$state/fulcrumd.conf" <<EOF
# fulcrumd for the demo (scripts/demo.sh writes this file; doc/configuration.md explains every key)
[eal]
memory = "no-huge"
memory_mb = 512
file_prefix = "fulcrum-demo"
[lcores]
master = 0
workers = [1]
$( [ "$cpus" -lt 2 ] && echo 'cpu_map = { "1" = 0 }  # a one-CPU machine: the worker shares CPU 0' )
[polling]
mode = "idle-sleep"
idle_sleep_us = 100
[log]
level = "info"
[ctrl]
socket = "$sock"
[netif]
link_poll_ms = 100
[[port]]
name = "dpdk0"
vdev = "$vdev0"
[[port]]
name = "dpdk1"
vdev = "$vdev1"
[inet]
# The balancer's own addresses; the VIPs and the FullNAT local addresses are added below with dpip.
addresses = ["198.18.0.1/24 dev dpdk0", "2001:db8::1/64 dev dpdk0", "198.18.1.1/24 dev dpdk1", "2001:db8:1::1/64 dev dpdk1"]
EOF
}

# Starts fulcrumd on the config; returns non-zero when it exits before its control socket answers.
start_fulcrumd() {
  : > "$state/fulcrumd.log"
  ip netns exec $NS_BAL "$fulcrumd" -c "$state/fulcrumd.conf" >> "$state/fulcrumd.log" 2>&1 &
  fpid=$!
  record fulcrumd $fpid
  for _ in $(seq 200); do
    kill -0 $fpid 2>/dev/null || { wait $fpid || true; return 1; }
    FULCRUM_CTRL_SOCKET=$sock "$dpip" link show >/dev/null 2>&1 && return 0
    sleep 0.05
  done
  echo "demo: fulcrumd did not answer on $sock within 10 s" >&2
  exit 1
}

say "fulcrumd: a master and one worker lcore in idle-sleep mode, two DPDK ports over veth ($driver)"
write_config "$driver"
if ! start_fulcrumd; then
  if [ "$driver" = af_xdp ]; then
    echo "  fulcrumd could not start on AF_XDP:"
    grep -E 'fulcrumd:|af_xdp' "$state/fulcrumd.log" | tail -n 3 | sed 's/^/    /'
    echo "  falling back to af_packet"
    # An AF_XDP start that got as far as loading its XDP program may have left it on the veths.
    ip -n $NS_BAL link set fdemo-b0 xdp off 2>/dev/null || true
    ip -n $NS_BAL link set fdemo-b1 xdp off 2>/dev/null || true
    driver=af_packet
    write_config "$driver"
    start_fulcrumd || { cat "$state/fulcrumd.log" >&2; exit 1; }
  else
    cat "$state/fulcrumd.log" >&2
    exit 1
  fi
fi
echo "  fulcrumd $fpid is up: config $state/fulcrumd.conf, log $state/fulcrumd.log, control socket $sock"
export FULCRUM_CTRL_SOCKET=$sock
for _ in $(seq 100); do
  [ "$("$dpip" -j link show | grep -o '"operstate":"UP"' | wc -l)" = 2 ] && break
  sleep 0.1
done

say "addresses: the VIPs on dpdk0 and the FullNAT local addresses on dpdk1 (dpip)"
show "$dpip" addr add $VIP4 dev dpdk0 vip
show "$dpip" addr add $VIP6 dev dpdk0 vip
show "$dpip" addr add $DR_VIP dev dpdk0 vip
show "$dpip" addr add $LADDR4 dev dpdk1 fnat-local
show "$dpip" addr add $LADDR6 dev dpdk1 fnat-local

say "FullNAT services, IPv4 and IPv6, round robin, with Fulcrum's ipvsadm ($ipvsadm)"
show "$ipvsadm" -A -t $VIP4:80 -s rr --fullnat
show "$ipvsadm" -P -t $VIP4:80 -z $LADDR4
for n in "${RS[@]}"; do show "$ipvsadm" -a -t $VIP4:80 -r "${RS4[$n]}:80" -b; done
show "$ipvsadm" -A -t "[$VIP6]:80" -s rr --fullnat
show "$ipvsadm" -P -t "[$VIP6]:80" -z $LADDR6
for n in "${RS[@]}"; do show "$ipvsadm" -a -t "[$VIP6]:80" -r "[${RS6[$n]}]:80" -b; done

say "a DR service with Debian's own $stock_ipvsadm, through the bridge ($bridge)"
dr_ready=1
show "$bridge" "$stock_ipvsadm" -A -t $DR_VIP:80 -s rr
for n in "${RS[@]}"; do
  if ! show "$bridge" "$stock_ipvsadm" -a -t $DR_VIP:80 -r "${RS4[$n]}:80" -g; then dr_ready=0; fi
done

# ---- the requests ----
# `count` requests, each on a new connection, from the client; one line per request: the answer, or
# "FAILED (curl exit N)". Stops after 3 failures in a row, so that a broken path fails in seconds.
requests() {
  ip netns exec $NS_CLI bash -c '
    fails=0
    for i in $(seq "$2"); do
      if out=$(curl -sS -g --connect-timeout 2 --max-time 3 "$1" 2>&1); then
        echo "$out"; fails=0
      else
        echo "FAILED (curl exit $?: $out)"; fails=$((fails + 1))
        [ "$fails" -ge 3 ] && break
      fi
    done' requests "$1" "$2"
}

failures=0
# Sends the requests to one VIP and prints which real server answered each, then the tally.
# $1: title, $2: URL, $3: "dr" for the DR VIP. Sets last_ok and last_failed.
try_vip() {
  local title=$1 url=$2 answers seq n count
  say "$title: $REQUESTS requests to $url from the client"
  answers=$(requests "$url" $REQUESTS)
  last_ok=$(grep -c '^rs[0-9] ' <<<"$answers" || true)
  last_failed=$((REQUESTS - last_ok))
  seq=$(awk '/^rs[0-9] / {printf "%s ", $1} /^FAILED/ {printf "FAIL "}' <<<"$answers")
  echo "  answered by: $seq" | fold -s -w 100 | sed '2,$s/^/               /'
  local tally="" all=1
  for n in "${RS[@]}"; do
    count=$(grep -c "^$n " <<<"$answers" || true)
    tally+="$n $count   "
    [ "$count" -gt 0 ] || all=0
  done
  echo "  $tally failed $last_failed"
  grep -m1 '^rs[0-9] ' <<<"$answers" | sed 's/^/  one answer: /' || true
  grep -m1 '^FAILED' <<<"$answers" | sed 's/^/  first failure: /' || true
  if [ "$last_failed" = 0 ] && [ "$all" = 0 ]; then
    echo "  not every real server answered: round robin should have spread the requests"
    last_failed=1
  fi
}

try_vip "FullNAT, IPv4" "http://$VIP4/"
failures=$((failures + last_failed))
try_vip "FullNAT, IPv6" "http://[$VIP6]/"
failures=$((failures + last_failed))

dr_note=""
if [ "$dr_ready" = 1 ]; then
  try_vip "DR, IPv4 (replies go from the real servers straight to the client)" "http://$DR_VIP/"
  if [ "$last_ok" = 0 ]; then
    # A fulcrumd without the DR module takes the service but drops its new connections as
    # unsupported_forward: say so plainly instead of failing the demo over a mode that is not built yet.
    unsupported=$("$ipvsadm" --counters | awk '$1 == "unsupported_forward" {print $2}')
    if [ "${unsupported:-0}" -gt 0 ]; then
      dr_note="DR: not built yet in this fulcrumd (it dropped $unsupported new DR connections as unsupported_forward)"
      echo "  $dr_note"
    else
      failures=$((failures + last_failed))
    fi
  else
    failures=$((failures + last_failed))
  fi
else
  dr_note="DR: not built yet in this fulcrumd (it refused the DR real servers)"
  echo "  $dr_note"
fi

say "ipvsadm -Ln --stats (Fulcrum's ipvsadm: both families)"
"$ipvsadm" -Ln --stats
say "the same table as Debian's ipvsadm sees it through the bridge (IPv4 only)"
"$bridge" "$stock_ipvsadm" -Ln
say "dpip -s link"
"$dpip" -s link

elapsed=$(( $(date +%s) - started ))
say "result"
if [ "$failures" = 0 ]; then
  echo "  every request was answered: FullNAT IPv4 and IPv6$([ -z "$dr_note" ] && echo ", DR"), ports on $driver"
else
  echo "  $failures request(s) failed"
fi
[ -z "$dr_note" ] || echo "  $dr_note"
echo "  $elapsed s since the demo started, the build included"

if [ "$once" = 1 ]; then
  finished=1
  exit $(( failures == 0 ? 0 : 1 ))
fi

cat <<MSG

The lab stays up. In another shell, as root:

  ip netns exec $NS_CLI bash                      # a shell in the client's namespace, then:
    curl http://$VIP4/                         # FullNAT over IPv4 (run it a few times: round robin)
    curl -g 'http://[$VIP6]/'                 # FullNAT over IPv6
    curl http://$DR_VIP/                         # DR: the answer names the client's own address
  export FULCRUM_CTRL_SOCKET=$sock     # the tools find fulcrumd here (from any namespace)
  $ipvsadm -Ln --stats
  $ipvsadm -Lnc --fullnat-conn           # connections, with their local address
  $ipvsadm --counters                    # the dataplane's counters
  $ipvsadm -e -t $VIP4:80 -r ${RS4[rs1]}:80 -b -w 0   # quiesce rs1
  $bridge $stock_ipvsadm -Ln
  $dpip -s link
  $dpip addr show
  $dpip -s cpu

fulcrumd's log: $state/fulcrumd.log. Ctrl-C tears the lab down.
MSG
while kill -0 "$fpid" 2>/dev/null; do sleep 1; done
echo "demo: fulcrumd exited" >&2
exit 1
