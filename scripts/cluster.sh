#!/usr/bin/env bash
# A local SolrCloud for trawl's cluster backend, assembled from pinned Maven Central jars:
# one ZooKeeper and three Solr nodes, each its own JVM on 127.0.0.1, and a collection of
# 3 shards x 2 replicas over the "trawl" configset. See scripts/cluster/README.md.
#
#   scripts/cluster.sh up       fetch + verify the jars, compile the launcher, start what is not
#                               running, upload the configset, create the collection, wait until
#                               every replica is active
#   scripts/cluster.sh status   nodes, pids, collection health (exit 1 unless all is well)
#   scripts/cluster.sh down     stop exactly the processes `up` started (pid files); idempotent
#   scripts/cluster.sh create NAME
#                               another collection (3 x 2, trawl configset) on the running
#                               cluster, e.g. one per corpus; waits until it is green
#
# Environment (defaults): TRAWL_HOME (~/.cache/trawl), TRAWL_CLUSTER_ZK_PORT (19983),
# TRAWL_CLUSTER_PORT (18983: nodes on 18983, 18984, 18985), TRAWL_CLUSTER_COLLECTION (passages),
# TRAWL_CLUSTER_HEAP (512m per Solr node), TRAWL_CLUSTER_ZK_HEAP (128m), JAVA_HOME.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
src="$here/cluster"
TRAWL_HOME="${TRAWL_HOME:-$HOME/.cache/trawl}"
home="$TRAWL_HOME/cluster"
zk_port="${TRAWL_CLUSTER_ZK_PORT:-19983}"
base_port="${TRAWL_CLUSTER_PORT:-18983}"
collection="${TRAWL_CLUSTER_COLLECTION:-passages}"
heap="${TRAWL_CLUSTER_HEAP:-512m}"
zk_heap="${TRAWL_CLUSTER_ZK_HEAP:-128m}"
nodes=(node1 node2 node3)
shards=3
replicas=2
configset=trawl

lib="$home/lib"
launcher="$home/launcher"
run="$home/run"
logs="$home/logs"
data="$home/data"

die() {
  echo "cluster.sh: $*" >&2
  exit 1
}
say() { echo "cluster.sh: $*"; }

node_port() { # node1 -> base_port, node2 -> base_port+1, ...
  echo $((base_port + ${1#node} - 1))
}
solr_url() { echo "http://127.0.0.1:$(node_port "$1")/solr"; }

# ---------------------------------------------------------------------------------------------
# Tools. The machine image has Java 17 and Maven; as root on Debian the script installs what is
# missing rather than failing on a fresh machine.

java_bin() {
  if [[ -n "${JAVA_HOME:-}" ]]; then echo "$JAVA_HOME/bin/$1"; else command -v "$1" || echo "$1"; fi
}

need_tools() {
  local missing=()
  for t in java javac jar; do
    [[ -x "$(java_bin "$t")" ]] || missing+=(openjdk-17-jdk-headless)
  done
  command -v mvn >/dev/null || missing+=(maven)
  command -v curl >/dev/null || missing+=(curl)
  command -v python3 >/dev/null || missing+=(python3)
  command -v sha256sum >/dev/null || missing+=(coreutils)
  if ((${#missing[@]})); then
    local pkgs
    pkgs="$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')"
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
      say "installing $pkgs(apt-get)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null ||
        die "apt-get update failed"
      # shellcheck disable=SC2086
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $pkgs >/dev/null ||
        die "apt-get install $pkgs failed"
    else
      die "missing tools: install $pkgs(Java 17+ JDK, Maven 3.8+, curl, python3)"
    fi
  fi
  local v
  v="$("$(java_bin java)" -XshowSettings:properties -version 2>&1 | sed -n 's/.*java.specification.version = //p')"
  [[ "${v%%.*}" -ge 17 ]] 2>/dev/null || die "Java 17 or newer is needed, $(java_bin java) is '$v' (set JAVA_HOME)"
}

# ---------------------------------------------------------------------------------------------
# Artifacts: Maven resolves the pinned POM into a private repository under $TRAWL_HOME (checksum
# policy fail, -C), copies the jars to $lib, and every jar is then checked against the committed
# scripts/cluster/artifacts.sha256: the same names, the same bytes, nothing more.

verify_lib() { # $1 = folder; prints nothing on success
  local dir="$1" want got
  want="$(cut -d' ' -f3 "$src/artifacts.sha256" | sort)"
  got="$(find "$dir" -maxdepth 1 -type f -name '*.jar' -printf '%f\n' | sort)"
  if [[ "$want" != "$got" ]]; then
    echo "the jars in $dir differ from artifacts.sha256:"
    diff <(echo "$want") <(echo "$got") | sed -n 's/^[<>]/  &/p' | head -20
    return 1
  fi
  (cd "$dir" && sha256sum --quiet --strict -c "$src/artifacts.sha256" 2>&1) || return 1
}

fetch() {
  if [[ -d "$lib" ]] && verify_lib "$lib" >/dev/null 2>&1; then
    return 0
  fi
  mkdir -p "$home" "$logs"
  local tmp="$home/lib.partial" log="$logs/maven.log"
  rm -rf "$tmp"
  say "resolving pinned artifacts with Maven (log: $log)"
  if ! mvn -B -C -f "$src/pom.xml" \
    -Dmaven.repo.local="$home/m2" \
    dependency:copy-dependencies \
    -DoutputDirectory="$tmp" -DincludeScope=runtime \
    </dev/null >"$log" 2>&1; then
    tail -20 "$log" >&2
    die "Maven could not resolve the cluster's artifacts; see $log"
  fi
  local why
  if ! why="$(verify_lib "$tmp")"; then
    echo "$why" >&2
    die "the resolved jars do not match scripts/cluster/artifacts.sha256 (left in $tmp; if the Maven cache $home/m2 is damaged, delete it to download again)"
  fi
  rm -rf "$lib" "$launcher"
  mv "$tmp" "$lib"
}

# The launcher: one small Java class, compiled when its source (or solr.xml/log4j2.xml) changed.
build_launcher() {
  local stamp want
  want="$(cat "$src/src/TrawlClusterNode.java" "$src/src/solr.xml" "$src/src/log4j2.xml" |
    sha256sum | cut -d' ' -f1)"
  stamp="$launcher/.source.sha256"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" && -f "$launcher/launcher.jar" ]]; then
    return 0
  fi
  rm -rf "$launcher"
  mkdir -p "$launcher"
  "$(java_bin javac)" -nowarn --release 17 -d "$launcher" -cp "$lib/*" \
    "$src/src/TrawlClusterNode.java" 2>"$logs/javac.log" ||
    die "compiling the launcher failed; see $logs/javac.log"
  cp "$src/src/solr.xml" "$src/src/log4j2.xml" "$launcher/"
  (cd "$launcher" && "$(java_bin jar)" cf launcher.jar TrawlClusterNode.class solr.xml &&
    rm TrawlClusterNode.class) || die "packaging the launcher failed"
  echo "$want" >"$stamp"
}

# ---------------------------------------------------------------------------------------------
# Processes. Each JVM writes its own pid to $run/ROLE.pid and carries -Dtrawl.cluster=ROLE@HOME
# on its command line; `down` and `status` only touch a pid whose command line says so.

marker() { echo "-Dtrawl.cluster=$1@$home"; }

pid_of() { # prints the pid of ROLE if that process is alive and ours
  local role="$1" f="$run/$1.pid" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null)" || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r "/proc/$pid/cmdline" ]] || return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$(marker "$role")" || return 1
  echo "$pid"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

start_jvm() { # ROLE HEAP ARGS...
  local role="$1" heap_size="$2"
  shift 2
  local log="$logs/$role.log"
  rm -f "$run/$role.pid"
  # shellcheck disable=SC2086
  nohup nice -n 5 "$(java_bin java)" \
    "$(marker "$role")" -Dtrawl.pidfile="$run/$role.pid" \
    -Xms64m -Xmx"$heap_size" -XX:+UseSerialGC -XX:+ExitOnOutOfMemoryError \
    -Xss512k -XX:ReservedCodeCacheSize=96m \
    -Djava.awt.headless=true -Dfile.encoding=UTF-8 \
    -Dlog4j2.configurationFile="$launcher/log4j2.xml" -Dsolr.log.dir="$logs" \
    ${TRAWL_CLUSTER_JAVA_OPTS:-} \
    -cp "$launcher/launcher.jar:$lib/*" TrawlClusterNode "$@" \
    </dev/null >>"$log" 2>&1 &
  local spawned=$!
  for _ in $(seq 100); do
    [[ -s "$run/$role.pid" ]] && break
    kill -0 "$spawned" 2>/dev/null || break
    sleep 0.1
  done
  pid_of "$role" >/dev/null || die "$role did not start; see $log"
}

wait_for() { # DESCRIPTION ROLE SECONDS COMMAND...: polls COMMAND, fails early if ROLE died
  local what="$1" role="$2" secs="$3"
  shift 3
  local end=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    pid_of "$role" >/dev/null || die "$role exited while waiting for $what; see $logs/$role.log"
    ((SECONDS < end)) || die "timed out after ${secs}s waiting for $what; see $logs/$role.log"
    sleep 0.5
  done
}

zk_ok() { [[ "$(zk_cmd ruok)" == imok ]]; }
zk_cmd() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$zk_port" || exit 1
    printf '%s' "$1" >&3
    timeout 2 cat <&3
  ) 2>/dev/null
}
solr_ok() { curl -sf -m 3 "$(solr_url "$1")/admin/info/health" >/dev/null; }

start_zk() {
  if pid_of zk >/dev/null; then return 0; fi
  port_busy "$zk_port" && die "port $zk_port (ZooKeeper) is taken by a process this script did not start"
  say "starting ZooKeeper on 127.0.0.1:$zk_port"
  start_jvm zk "$zk_heap" zk "$zk_port" "$data/zk"
  wait_for "ZooKeeper on port $zk_port" zk 60 zk_ok
}

start_nodes() {
  local n
  for n in "${nodes[@]}"; do
    if pid_of "$n" >/dev/null; then continue; fi
    local port
    port="$(node_port "$n")"
    port_busy "$port" && die "port $port ($n) is taken by a process this script did not start"
    say "starting Solr $n on 127.0.0.1:$port"
    start_jvm "$n" "$heap" solr "$port" "$data/$n" "127.0.0.1:$zk_port"
  done
  # Every node, not only the ones just started: one left by an interrupted `up` may still be
  # loading its cores.
  for n in "${nodes[@]}"; do
    wait_for "Solr $n on port $(node_port "$n")" "$n" 180 solr_ok "$n"
  done
}

# ---------------------------------------------------------------------------------------------
# Solr admin calls (collections API on node1).

admin() { # PATH?QUERY -> JSON on stdout; fails with Solr's message
  local out
  out="$(curl -sS -m 300 "$(solr_url node1)/admin/$1" 2>&1)" || {
    echo "$out" >&2
    return 1
  }
  if ! python3 -c 'import json,sys; d=json.load(sys.stdin); sys.exit(0 if d.get("responseHeader",{}).get("status",0)==0 and "error" not in d and "failure" not in d else 1)' <<<"$out"; then
    echo "$out" >&2
    return 1
  fi
  echo "$out"
}

upload_configset() {
  local want stamp="$run/configset.sha256"
  want="$(cd "$src/configset" && find conf -type f | sort | xargs sha256sum | sha256sum | cut -d' ' -f1)"
  local listed
  listed="$(admin "configs?action=LIST&omitHeader=true")" || die "listing configsets failed; see $logs/node1.log"
  if grep -q "\"$configset\"" <<<"$listed" && [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 1 # unchanged
  fi
  say "uploading configset $configset"
  local zip="$run/$configset.zip"
  rm -f "$zip"
  (cd "$src/configset/conf" && "$(java_bin jar)" cfM "$zip" .)
  curl -sS -m 60 -X POST -H 'Content-Type: application/octet-stream' --data-binary @"$zip" \
    "$(solr_url node1)/admin/configs?action=UPLOAD&name=$configset&overwrite=true&cleanup=true" \
    >"$run/upload.json" 2>&1 || die "configset upload failed: $(cat "$run/upload.json")"
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(1 if "error" in d else 0)' \
    "$run/upload.json" || die "configset upload failed: $(cat "$run/upload.json"); see $logs/node1.log"
  echo "$want" >"$stamp"
  return 0 # uploaded
}

collection_exists() {
  admin "collections?action=LIST&omitHeader=true" | python3 -c \
    'import json,sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin).get("collections",[]) else 1)' "$collection"
}

ensure_collection() {
  local changed=0
  upload_configset && changed=1
  if collection_exists; then
    if ((changed)); then
      say "reloading collection $collection (configset changed)"
      admin "collections?action=RELOAD&name=$collection" >/dev/null ||
        die "reloading $collection failed; see $logs/node*.log"
    fi
  else
    say "creating collection $collection ($shards shards x $replicas replicas)"
    admin "collections?action=CREATE&name=$collection&collection.configName=$configset&numShards=$shards&replicationFactor=$replicas&waitForFinalState=true" \
      >/dev/null || die "creating $collection failed; see $logs/node*.log"
  fi
}

# Prints one line per replica and a verdict; exit 0 when every replica is active on a live node
# and every shard has a leader.
health() {
  curl -sS -m 10 "$(solr_url "${1:-node1}")/admin/collections?action=CLUSTERSTATUS&collection=$collection" 2>/dev/null |
    python3 -c '
import json, sys
want_shards, want_replicas = int(sys.argv[2]), int(sys.argv[3])
try:
    d = json.load(sys.stdin)
    c = d["cluster"]["collections"][sys.argv[1]]
except Exception as e:
    print("collection %s: not found (%s)" % (sys.argv[1], e)); sys.exit(1)
live = set(d["cluster"].get("live_nodes", []))
ok = len(c["shards"]) == want_shards
for name, s in sorted(c["shards"].items()):
    reps = s.get("replicas", {})
    active = [r for r in reps.values() if r.get("state") == "active" and r.get("node_name") in live]
    leader = [r for r in reps.values() if r.get("leader") == "true"]
    ok &= len(active) == want_replicas and len(leader) == 1 and len(reps) == want_replicas
    print("  %s: %s" % (name, ", ".join("%s on %s %s%s" % (rn, r.get("node_name"), r.get("state"),
        " (leader)" if r.get("leader") == "true" else "") for rn, r in sorted(reps.items()))))
print("collection %s: %s, health %s, %d live nodes" % (sys.argv[1], "ready" if ok else "NOT ready",
      c.get("health", "?"), len(live)))
sys.exit(0 if ok else 1)
' "$collection" "$shards" "$replicas"
}

wait_green() {
  local end=$((SECONDS + 180))
  until health >/dev/null 2>&1; do
    local n
    for n in "${nodes[@]}"; do
      pid_of "$n" >/dev/null || die "$n died while waiting for the collection; see $logs/$n.log"
    done
    if ((SECONDS >= end)); then
      health >&2 || true
      die "timed out waiting for every replica of $collection to be active; see $logs/node*.log"
    fi
    sleep 1
  done
}

# ---------------------------------------------------------------------------------------------

cmd_up() {
  local t0=$SECONDS
  need_tools
  mkdir -p "$run" "$logs" "$data"
  fetch
  build_launcher
  start_zk
  start_nodes
  local t_nodes=$((SECONDS - t0))
  ensure_collection
  wait_green
  say "up in $((SECONDS - t0))s (nodes answering after ${t_nodes}s): collection $collection at $(solr_url node1)/$collection (logs in $logs)"
}

stop_role() { # sends TERM, waits, then KILL; only to a pid whose command line is ours
  local role="$1" pid
  if ! pid="$(pid_of "$role")"; then
    rm -f "$run/$role.pid"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  echo "$pid"
}

wait_gone() { # ROLE PID
  local role="$1" pid="$2" i
  for i in $(seq 300); do # 30 s
    [[ -d "/proc/$pid" ]] || break
    sleep 0.1
  done
  if [[ -d "/proc/$pid" ]]; then
    say "$role (pid $pid) ignored SIGTERM for 30s: killing it"
    kill -KILL "$pid" 2>/dev/null || true
    for i in $(seq 50); do
      [[ -d "/proc/$pid" ]] || break
      sleep 0.1
    done
  fi
  rm -f "$run/$role.pid"
}

cmd_down() {
  local n pid pids=() roles=()
  # Solr nodes first (in parallel), ZooKeeper last, so the nodes deregister cleanly.
  for n in "${nodes[@]}"; do
    pid="$(stop_role "$n")"
    [[ -n "$pid" ]] && {
      roles+=("$n")
      pids+=("$pid")
    }
  done
  local i
  for i in "${!pids[@]}"; do wait_gone "${roles[$i]}" "${pids[$i]}"; done
  pid="$(stop_role zk)"
  [[ -n "$pid" ]] && wait_gone zk "$pid"
  if ((${#pids[@]})) || [[ -n "$pid" ]]; then
    say "stopped"
  else
    say "nothing running"
  fi
}

cmd_status() {
  local ok=0 n pid rss total=0
  printf '%-6s %-8s %-30s %s\n' role pid address rss
  for n in zk "${nodes[@]}"; do
    local addr
    if [[ $n == zk ]]; then addr="127.0.0.1:$zk_port"; else addr="$(solr_url "$n")"; fi
    if pid="$(pid_of "$n")"; then
      rss="$(awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$pid/status" 2>/dev/null)"
      total=$((total + ${rss:-0}))
      rss="$rss MiB"
      local state=up
      if [[ $n == zk ]]; then zk_ok || state="not answering"; else solr_ok "$n" || state="not answering"; fi
      [[ $state == up ]] || ok=1
      printf '%-6s %-8s %-30s %s %s\n' "$n" "$pid" "$addr" "$rss" "$([[ $state == up ]] || echo "($state)")"
    else
      printf '%-6s %-8s %-30s\n' "$n" "-" "$addr (stopped)"
      ok=1
    fi
  done
  echo "resident memory (sum of RSS): $total MiB"
  local any=""
  for n in "${nodes[@]}"; do
    if pid_of "$n" >/dev/null && solr_ok "$n"; then
      any="$n"
      break
    fi
  done
  if [[ -n "$any" ]]; then
    health "$any" || ok=1
  else
    echo "collection $collection: no Solr node answering"
    ok=1
  fi
  echo "logs: $logs"
  return $ok
}

cmd_create() {
  local t0=$SECONDS
  [[ "$1" =~ ^[A-Za-z0-9][A-Za-z0-9_-]*$ ]] || die "collection name '$1': letters, digits, _ and - only"
  collection="$1"
  solr_ok node1 || die "no Solr node answers on $(solr_url node1); run \`$0 up\` first"
  ensure_collection
  wait_green
  say "collection $collection ready in $((SECONDS - t0))s at $(solr_url node1)/$collection"
}

case "${1:-}" in
up) cmd_up ;;
down) cmd_down ;;
status) cmd_status ;;
create) cmd_create "${2:?usage: $0 create NAME}" ;;
*)
  echo "usage: $0 up|down|status|create NAME" >&2
  exit 2
  ;;
esac
