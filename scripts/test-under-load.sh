#!/usr/bin/env bash
# Run tests while every core is kept busy on purpose, to check that their waits (tests/waits.py)
# hold on a crowded machine: a laptop with a video call, a classroom server, a busy CI runner.
#
#   ./scripts/test-under-load.sh                       # browser + integration tests
#   ./scripts/test-under-load.sh -k playground         # the same, with pytest options added
#   ./scripts/test-under-load.sh ./scripts/test.sh     # any command, e.g. the whole suite
#
# One CPU burner per core (IAMLAB_LOAD_WORKERS to change): Debian's stress-ng if installed
# (apt-get install stress-ng), else a Python busy loop. Prints the command's time, the load
# average seen while it ran, and exits with the command's status.
set -euo pipefail
cd "$(dirname "$0")/.."

workers="${IAMLAB_LOAD_WORKERS:-$(nproc)}"
if [ $# -eq 0 ] || [ "${1#-}" != "$1" ]; then
  command=(python3 -m pytest tests -m "integration or browser" "$@")
else
  command=("$@")
fi

burners=()
sampler=""
stop_load() {
  for pid in "${burners[@]}" $sampler; do kill "$pid" 2>/dev/null || true; done
  for pid in "${burners[@]}" $sampler; do wait "$pid" 2>/dev/null || true; done
}
trap stop_load EXIT

if command -v stress-ng >/dev/null; then
  stress-ng --cpu "$workers" --quiet &
  burners+=($!)
  burner="stress-ng --cpu $workers"
else
  for _ in $(seq "$workers"); do
    python3 -c "while True: pass" &
    burners+=($!)
  done
  burner="$workers Python busy loops (apt-get install stress-ng for Debian's burner)"
fi

loads="$(mktemp)"
( while sleep 5; do cut -d' ' -f1 /proc/loadavg >>"$loads"; done ) &
sampler=$!

echo "under load: $burner on $(nproc) cores; running: ${command[*]}"
started=$(date +%s)
status=0
"${command[@]}" || status=$?
elapsed=$(( $(date +%s) - started ))
stop_load
trap - EXIT

summary=$(sort -n "$loads" | awk '{ sum += $1; n++; v[n] = $1 } END {
  if (n) printf "load average (1 min) while it ran: median %s, max %s, %d samples", v[int((n + 1) / 2)], v[n], n }')
rm -f "$loads"
printf 'under load: exit status %d after %d min %02d s; %s\n' "$status" $((elapsed / 60)) $((elapsed % 60)) "$summary"
exit "$status"
