#!/usr/bin/env bash
# The demo. For now (until the IP and IPVS layers land) it starts fulcrumd with the sample config: a master and
# one worker in idle-sleep mode and a net_null port, and shows the lcores, their load and the port.
#   scripts/demo.sh           stays up until Ctrl-C
#   scripts/demo.sh --once    shows the figures and exits (non-zero if anything failed)
set -euo pipefail
cd "$(dirname "$0")/.."

once=0
[ "${1:-}" = "--once" ] && once=1

bash scripts/install-deps.sh
scripts/build.sh release

state=/run/fulcrum-demo
sock=$state/ctrl.sock
mkdir -p "$state"
# A run that was killed may have left its daemon behind: stop that one, by the PID it recorded.
if [ -f "$state/fulcrumd.pid" ]; then
  old=$(cat "$state/fulcrumd.pid")
  if [ -n "$old" ] && [ "$(cat /proc/"$old"/comm 2>/dev/null)" = fulcrumd ]; then
    echo "demo: stopping fulcrumd $old left by an earlier run"
    kill "$old" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$state/fulcrumd.pid"
fi

bin=build/release
pid=
cleanup() {
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    wait "$pid" && echo "demo: fulcrumd stopped cleanly" || echo "demo: fulcrumd exited with $?"
  fi
  rm -f "$state/fulcrumd.pid"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

"$bin/daemon/fulcrumd" -c conf/fulcrum.conf --ctrl-socket "$sock" > "$state/fulcrumd.log" 2>&1 &
pid=$!
echo "$pid" > "$state/fulcrumd.pid"
export FULCRUM_CTRL_SOCKET=$sock
for _ in $(seq 100); do
  "$bin/tools/dpip/dpip" cpu show >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$state/fulcrumd.log"; exit 1; }
  sleep 0.05
done

echo
echo "== fulcrumd $pid is up: master lcore 0, worker lcore 1, idle-sleep polling, port dpdk0 on net_null"
sleep 1.2
echo "== dpip -s cpu"
"$bin/tools/dpip/dpip" -s cpu
echo
echo "== the same as JSON (dpip -j cpu)"
"$bin/tools/dpip/dpip" -j cpu
echo
echo "== dpip -s link"
"$bin/tools/dpip/dpip" -s link

if [ "$once" = 1 ]; then
  exit 0
fi
cat <<MSG

fulcrumd is running. Try, in another shell:
  FULCRUM_CTRL_SOCKET=$sock $bin/tools/dpip/dpip -s cpu
Its log is $state/fulcrumd.log. Ctrl-C stops it.
MSG
while kill -0 "$pid" 2>/dev/null; do sleep 1; done
