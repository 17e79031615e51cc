# Shared by the bench scripts (sourced): timing, peak memory and the comparison table.
# A script measures with bench_time and reports each comparison with bench_row; the rows
# go to stdout and, when BENCH_TABLE names a file (bench/all.sh sets it), to that file too,
# so that one run of every script prints one table.

: "${BENCH_TABLE:=}"

# bench_time NAME PREPARE COMMAND...: runs PREPARE (eval'd, untimed) then COMMAND, `runs`
# times (the caller's variable); sets ms_NAME to the median wall time in ms (one decimal)
# and kb_NAME to the peak RSS in kB of one more run under /usr/bin/time (kept out of the
# timed runs, whose start-up it would slow). A failing COMMAND stops the script.
bench_time() {
  local name=$1 prepare=$2
  shift 2
  local times=() t0 t1 err
  err=$(mktemp)
  for _ in $(seq "$runs"); do
    eval "$prepare"
    t0=$(date +%s%N)
    "$@" >/dev/null 2>"$err" || { echo "bench: $* failed:" >&2; cat "$err" >&2; rm -f "$err"; exit 1; }
    t1=$(date +%s%N)
    times+=($(( (t1 - t0) / 1000 )))
  done
  printf -v "ms_$name" '%s' "$(printf '%s\n' "${times[@]}" | sort -n |
    awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]/1000}')"
  eval "$prepare"
  local kb=-
  if [ -x /usr/bin/time ]; then
    /usr/bin/time -f %M -o "$err" "$@" >/dev/null 2>&1 && kb=$(tail -1 "$err")
  fi
  printf -v "kb_$name" '%s' "$kb"
  rm -f "$err"
}

# bench_row CASE OURS PEER_LABEL PEER: one comparison, OURS and PEER being bench_time
# names (PEER may be empty: no peer).
bench_row() {
  local ours=$2 peer=$4
  local ours_ms ours_kb peer_ms=- peer_kb=-
  ours_ms=$(eval echo "\${ms_$ours:--}")
  ours_kb=$(eval echo "\${kb_$ours:--}")
  if [ -n "$peer" ]; then
    peer_ms=$(eval echo "\${ms_$peer:--}")
    peer_kb=$(eval echo "\${kb_$peer:--}")
  fi
  bench_row_values "$1" "$ours_ms" "$3" "$peer_ms" "$ours_kb" "$peer_kb"
}

# bench_row_values CASE OURS_MS PEER_LABEL PEER_MS [OURS_KB PEER_KB]: the same with the
# numbers given. Prints "| case | ours ms | peer | peer ms | ratio | our peak RSS | peer's |".
bench_row_values() {
  local case=$1 ours_ms=$2 label=$3 peer_ms=$4 ours_kb=${5:--} peer_kb=${6:--} ratio
  ratio=$(awk -v a="$ours_ms" -v b="$peer_ms" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.2f×", a / b; else print "-" }')
  local line="| $case | $ours_ms | $label | $peer_ms | $ratio | $(bench_mb "$ours_kb") | $(bench_mb "$peer_kb") |"
  echo "$line"
  [ -n "$BENCH_TABLE" ] && echo "$line" >>"$BENCH_TABLE"
  return 0
}

# The table's header, printed once per script (bench/all.sh prints its own).
bench_header() {
  echo "| case | ours ms | peer | peer ms | ratio | our peak RSS | peer's |"
  echo "|---|---|---|---|---|---|---|"
}

bench_mb() { [ "$1" = - ] && echo - || awk -v k="$1" 'BEGIN {printf "%.0f MB", k / 1024}'; }

# bench_registry DIR: starts Debian's docker-registry on a free 127.0.0.1 port with its
# storage in DIR; sets registry_pid and registry (host:port). The caller kills it.
bench_registry() {
  local dir=$1 port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YAML
version: 0.1
log: {level: error}
storage: {filesystem: {rootdirectory: $dir/data}, delete: {enabled: true}}
http: {addr: 127.0.0.1:$port, secret: bench}
YAML
  docker-registry serve "$dir/config.yml" >"$dir/registry.log" 2>&1 &
  registry_pid=$!
  registry=127.0.0.1:$port
  for _ in $(seq 50); do curl -fs "http://$registry/v2/" >/dev/null && return 0; sleep 0.1; done
  echo "bench: docker-registry did not start (see $dir/registry.log)" >&2
  return 1
}
