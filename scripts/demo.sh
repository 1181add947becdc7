#!/usr/bin/env bash
# tmqtool quick start: the whole first day on this machine, with nothing but the .NET 10 SDK.
#
#   ./scripts/demo.sh [kafka|nsq]   (from the repository root; Kafka unless told; a few minutes the first time)
#
# 1. packs the tool from this repository (it carries the runtime packages) and installs it into a
#    temporary tool path;
# 2. scaffolds a worker with `tmqtool new` and gives it a demo MessageHandler that logs every
#    message, fails once on "flaky" (retried, then handled) and rejects "poison" (dead-lettered);
# 3. starts a development broker (`tmqtool dev kafka`: librdkafka's mock cluster, no Docker; or
#    `tmqtool dev nsq`: the development nsqd with nsqlookupd's /lookup), runs the worker, sends
#    messages with `tmqtool produce`, shows the handler's output, the retry (on NSQ a REQ that nsqd
#    counts) and the dead letter (read back with `tmqtool tail`);
# 4. stops the worker with SIGTERM, shows its clean shutdown and what is left (`tmqtool lag`:
#    committed offsets on Kafka, channel depth and in-flight on NSQ), stops the broker and deletes
#    everything it made.
#
# Every wait has a time limit; any failing step stops the demo with a message and the end of that
# step's log. TMQ_DEMO_KEEP=1 keeps the work folder (logs, generated project) for a look afterwards.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
START=$(date +%s)
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# The build summary is read below ("0 Warning(s)"): in English whatever the machine's language.
export DOTNET_CLI_UI_LANGUAGE=en
# No MSBuild node may outlive a step (and hold its log open).
export MSBUILDDISABLENODEREUSE=1

MQ=${1:-kafka}
case "$MQ" in
  kafka|nsq) ;;
  *) printf 'usage: %s [kafka|nsq]\n' "$0" >&2; exit 2 ;;
esac

PSM=demo.orders.consumer
NAME=Demo.Orders.Consumer
TOPIC=orders
DLQ=orders.dlq

if [ -t 1 ]; then BOLD=$'\e[1m' RED=$'\e[31m' GREEN=$'\e[32m' DIM=$'\e[2m' RESET=$'\e[0m'; else BOLD='' RED='' GREEN='' DIM='' RESET=''; fi

WORK=''
BROKER_PID=''
WORKER_PID=''
STEP_PID=''
VERSION=''
STEP=0
CURRENT_LOG=''

step() {
  STEP=$((STEP + 1))
  printf '\n%s[%d/13] %s%s\n' "$BOLD" "$STEP" "$1" "$RESET"
}

info() { printf '    %s\n' "$*"; }

fail() {
  printf '\n%sdemo failed at step %d: %s%s\n' "$RED" "$STEP" "$1" "$RESET" >&2
  if [ -n "$CURRENT_LOG" ] && [ -s "$CURRENT_LOG" ]; then
    printf '%s--- last lines of %s%s\n' "$DIM" "$CURRENT_LOG" "$RESET" >&2
    tail -n 40 "$CURRENT_LOG" | sed 's/^/    /' >&2
  fi
  exit 1
}

# Stops a background process: SIGTERM, then SIGKILL after $2 seconds.
stop_process() {
  local pid=$1 grace=$2 waited=0
  [ -n "$pid" ] || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((grace * 10)) ]; then
      kill -KILL "$pid" 2>/dev/null || true
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_process "$STEP_PID" 5
  stop_process "$WORKER_PID" 30
  stop_process "$BROKER_PID" 20
  if [ -n "$WORK" ] && [ -d "$WORK" ]; then
    if [ -n "$VERSION" ]; then
      for id in tmqtool tmq.runtime tmq.kafka tmq.nsq; do
        rm -rf "${NUGET_PACKAGES:-$HOME/.nuget/packages}/$id/$VERSION"
      done
    fi
    if [ "${TMQ_DEMO_KEEP:-}" = 1 ]; then
      printf '%sKept %s (TMQ_DEMO_KEEP=1).%s\n' "$DIM" "$WORK" "$RESET"
    else
      rm -rf "$WORK"
    fi
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'printf "\ninterrupted\n" >&2; exit 130' INT
trap 'printf "\nterminated\n" >&2; exit 143' TERM

# Runs a command with its output in a log file, failing the step after $2 seconds.
run_logged() {
  local log=$1 limit=$2 pid waited=0
  shift 2
  CURRENT_LOG=$log
  "$@" >"$log" 2>&1 &
  pid=$!
  # A background job of a script ignores Ctrl+C: cleanup stops it (a build must not outlive the demo).
  STEP_PID=$pid
  while kill -0 "$pid" 2>/dev/null; do
    if [ "$waited" -ge $((limit * 10)) ]; then
      stop_process "$pid" 5
      fail "'$*' did not finish within ${limit}s"
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  STEP_PID=''
  wait "$pid" || fail "'$*' failed (exit code $?)"
}

# Waits up to $2 seconds for a line matching the extended regex $3 in log $1, while process $4 lives.
wait_for_line() {
  local log=$1 limit=$2 pattern=$3 pid=$4 what=$5 waited=0
  CURRENT_LOG=$log
  until grep -Eq -- "$pattern" "$log" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || fail "the process stopped before $what"
    [ "$waited" -ge $((limit * 10)) ] && fail "no $what within ${limit}s"
    sleep 0.1
    waited=$((waited + 1))
  done
}

# Waits up to $2 seconds for process $1 to exit; sets EXIT_CODE.
wait_for_exit() {
  local pid=$1 limit=$2 waited=0
  while kill -0 "$pid" 2>/dev/null; do
    [ "$waited" -ge $((limit * 10)) ] && return 1
    sleep 0.1
    waited=$((waited + 1))
  done
  EXIT_CODE=0
  wait "$pid" || EXIT_CODE=$?
}

# A TCP port nothing listens on (for the worker's /metrics and /healthz), from a random start.
free_port() {
  local port=$((20000 + RANDOM % 20000)) tries=0
  while (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    port=$((port + 1))
    tries=$((tries + 1))
    [ "$tries" -lt 100 ] || fail "found no free TCP port for the worker's metrics"
  done
  echo "$port"
}

# GET http://localhost:$1$2, with curl when there is one, else bash's /dev/tcp.
scrape() {
  if command -v curl >/dev/null 2>&1; then
    curl -fsS --max-time 10 "http://localhost:$1$2"
  else
    exec 3<>"/dev/tcp/127.0.0.1/$1"
    printf 'GET %s HTTP/1.0\r\nHost: localhost\r\n\r\n' "$2" >&3
    cat <&3
  fi
}

show() { # prints the lines of log $1 matching $2, indented
  grep -E -- "$2" "$1" | cut -c1-200 | sed 's/^/    /' || true
}

if [ "$MQ" = kafka ]; then ARTICLE='a Kafka'; else ARTICLE='an NSQ'; fi
printf '%stmqtool demo%s: scaffold %s worker, run it against the development broker, send it traffic.\n' "$BOLD" "$RESET" "$ARTICLE"

step "Check the .NET SDK"
command -v dotnet >/dev/null 2>&1 || fail "dotnet is not on PATH: install the .NET 10 SDK (https://dot.net)"
SDK=$(dotnet --version 2>/dev/null) || fail "dotnet --version failed"
case "$SDK" in
  1[0-9].*|[2-9][0-9].*) info ".NET SDK $SDK" ;;
  *) fail ".NET SDK $SDK found; the demo needs 10 or later" ;;
esac
WORK=$(mktemp -d "${TMPDIR:-/tmp}/tmqtool-demo.XXXXXX")
mkdir -p "$WORK/logs"
export TMQTOOL_HOME="$WORK/home"
info "work folder: $WORK"

step "Pack the tool (with the runtime packages it carries) and install it into a temporary tool path"
BASE_VERSION=$(dotnet msbuild "$ROOT/tool/Tmqtool/Tmqtool.csproj" -getProperty:Version 2>/dev/null | tr -d '[:space:]') || true
[ -n "$BASE_VERSION" ] || BASE_VERSION=0.1.0
# A version no earlier run used: the global packages folder must not serve an older build's runtime.
VERSION="$BASE_VERSION-demo.$(date +%Y%m%d%H%M%S).$$"
run_logged "$WORK/logs/pack.log" 900 dotnet pack "$ROOT/tool/Tmqtool/Tmqtool.csproj" -c Release -o "$WORK/packages" "-p:Version=$VERSION"
cat >"$WORK/packages/nuget.config" <<EOF
<configuration><packageSources><clear /><add key="local" value="$WORK/packages" /></packageSources></configuration>
EOF
run_logged "$WORK/logs/install.log" 300 dotnet tool install tmqtool --tool-path "$WORK/tools" --version "$VERSION" --configfile "$WORK/packages/nuget.config"
TMQTOOL="$WORK/tools/tmqtool"
info "tmqtool $VERSION installed in $WORK/tools ($(du -sh "$WORK/tools" | cut -f1))"

step "Scaffold the worker: tmqtool new --mqtype $MQ --psm $PSM --topic $TOPIC"
run_logged "$WORK/logs/new.log" 60 "$TMQTOOL" new --mqtype "$MQ" --psm "$PSM" --topic "$TOPIC" -o "$WORK/demo"
info "created $(grep -c '^  [^ ]' "$WORK/logs/new.log") files in $WORK/demo (listed in logs/new.log)"
PROJECT="$WORK/demo/src/$NAME"
[ -f "$PROJECT/MessageHandler.cs" ] || fail "tmqtool new made no $PROJECT/MessageHandler.cs"
cat >"$PROJECT/MessageHandler.cs" <<'EOF'
using Microsoft.Extensions.Logging;
using Tmq;

namespace Demo.Orders.Consumer;

/// <summary>The demo's handler: "flaky" fails on its first attempt, "poison" can never be handled.</summary>
public sealed partial class MessageHandler(ILogger<MessageHandler> logger) : IMessageHandler
{
    public Task HandleAsync(TmqMessage message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var key = message.KeyAsString();
        var value = message.ValueAsString();
        if (value == "flaky" && message.Attempt == 1)
        {
            LogFailing(logger, key, value, message.Attempt);
            throw new InvalidOperationException("A flaky dependency failed; the next attempt will work.");
        }

        if (value == "poison")
        {
            LogPoison(logger, key, value, message.Attempt);
            throw new PermanentFailureException("This message can never be handled.");
        }

        LogHandled(logger, key, value, message.Attempt);
        return Task.CompletedTask;
    }

    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "DEMO handled  key={Key} value={Value} attempt={Attempt}")]
    private static partial void LogHandled(ILogger logger, string key, string value, int attempt);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "DEMO failing  key={Key} value={Value} attempt={Attempt}: throwing, so it will be retried")]
    private static partial void LogFailing(ILogger logger, string key, string value, int attempt);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "DEMO rejected key={Key} value={Value} attempt={Attempt}: throwing PermanentFailureException, so it goes to the dead-letter topic")]
    private static partial void LogPoison(ILogger logger, string key, string value, int attempt);
}
EOF
info "replaced MessageHandler.cs with the demo handler"

step "Build the worker (restores Tmq.* from the copies tmqtool put in .tmq-feed/, the rest from nuget.org)"
run_logged "$WORK/logs/build.log" 900 dotnet build "$PROJECT" -c Release
grep -Eq ' 0 Warning\(s\)' "$WORK/logs/build.log" || fail "the build printed warnings"
info "built with 0 warnings"

if [ "$MQ" = kafka ]; then
  step "Start the embedded Kafka broker: tmqtool dev kafka --topic $TOPIC:3 --topic $DLQ:1"
  BROKER_LOG="$WORK/logs/broker.log"
  "$TMQTOOL" dev kafka --topic "$TOPIC:3" --topic "$DLQ:1" --bootstrap-file "$WORK/bootstrap.txt" >"$BROKER_LOG" 2>&1 </dev/null &
  BROKER_PID=$!
  # The first run of a tool version restores and builds its Kafka helper once.
  wait_for_line "$BROKER_LOG" 300 '^bootstrap\.servers=' "$BROKER_PID" "broker address"
  BOOTSTRAP=$(tr -d '[:space:]' <"$WORK/bootstrap.txt")
  [ -n "$BOOTSTRAP" ] || fail "the broker wrote an empty bootstrap file"
  show "$BROKER_LOG" '^(Embedded|Topics|bootstrap)'
  BROKER=(--bootstrap-servers "$BOOTSTRAP")
  BROKER_SETTINGS=("Tmq__Consumers__main__Kafka__bootstrap.servers=$BOOTSTRAP" "Tmq__Producer__BootstrapServers=$BOOTSTRAP")
  READY='assigned'
else
  step "Start the development nsqd: tmqtool dev nsq --topic $TOPIC (on free ports, so that a local nsqd is left alone)"
  BROKER_LOG="$WORK/logs/broker.log"
  "$TMQTOOL" dev nsq --tcp-port 0 --http-port 0 --lookupd-port 0 --topic "$TOPIC" >"$BROKER_LOG" 2>&1 </dev/null &
  BROKER_PID=$!
  wait_for_line "$BROKER_LOG" 60 '^Running;' "$BROKER_PID" "nsqd's addresses"
  NSQD=$(sed -n 's/^nsqd tcp: //p' "$BROKER_LOG")
  NSQD_HTTP=$(sed -n 's/^nsqd http: //p' "$BROKER_LOG")
  LOOKUPD=$(sed -n 's/^nsqlookupd http: //p' "$BROKER_LOG")
  [ -n "$NSQD" ] && [ -n "$LOOKUPD" ] || fail "tmqtool dev nsq printed no addresses"
  show "$BROKER_LOG" '^(Development|Topics|nsq)'
  BROKER=(--nsqd "$NSQD")
  # As generated, the worker finds nsqd through nsqlookupd and publishes to nsqd; only the ports differ.
  BROKER_SETTINGS=("Tmq__Consumers__main__Nsq__Lookupd__0=$LOOKUPD" "Tmq__Producer__Nsqd__0=$NSQD")
  READY='Application started'
fi

step "Run the worker against it"
WORKER_LOG="$WORK/logs/worker.log"
METRICS_PORT=$(free_port)
# The built dll rather than `dotnet run`, so that SIGTERM reaches the worker itself.
(cd "$PROJECT" && exec env DOTNET_ENVIRONMENT=Production \
  "${BROKER_SETTINGS[@]}" \
  Metrics__Prometheus__Port="$METRICS_PORT" \
  Tmq__Health__Port="$METRICS_PORT" \
  Logging__Console__FormatterName=simple \
  Logging__Console__FormatterOptions__SingleLine=true \
  Logging__Console__FormatterOptions__TimestampFormat='HH:mm:ss.fff ' \
  dotnet "bin/Release/net10.0/$NAME.dll") >"$WORKER_LOG" 2>&1 </dev/null &
WORKER_PID=$!
wait_for_line "$WORKER_LOG" 120 "$READY" "$WORKER_PID" "the consumer's start in the worker's log"
show "$WORKER_LOG" "started: topic|$READY"

step "Send messages: tmqtool produce ${BROKER[*]} --topic $TOPIC ..."
send() {
  run_logged "$WORK/logs/produce-$1.log" 60 "$TMQTOOL" produce "${BROKER[@]}" --topic "$TOPIC" --key "$1" --value "$2"
  show "$WORK/logs/produce-$1.log" '^sent'
}
send order-1 hello
if [ "$MQ" = kafka ]; then
  send order-2 flaky
else
  # Without a key: a plain NSQ body, which a failure hands back to nsqd (REQ) for a later attempt.
  run_logged "$WORK/logs/produce-flaky.log" 60 "$TMQTOOL" produce "${BROKER[@]}" --topic "$TOPIC" --value flaky
  show "$WORK/logs/produce-flaky.log" '^sent'
fi
send order-3 poison
send order-4 world

step "Watch the worker handle them"
wait_for_line "$WORKER_LOG" 60 'DEMO handled  key=order-1 ' "$WORKER_PID" "'handled order-1' in the worker's log"
wait_for_line "$WORKER_LOG" 60 'DEMO handled  key=(order-2)? value=flaky attempt=2' "$WORKER_PID" "successful retry of the flaky message in the worker's log"
wait_for_line "$WORKER_LOG" 60 'dead-lettering' "$WORKER_PID" "dead-lettering of order-3 in the worker's log"
wait_for_line "$WORKER_LOG" 60 'DEMO handled  key=order-4 ' "$WORKER_PID" "'handled order-4' in the worker's log"
show "$WORKER_LOG" 'DEMO|retrying in|requeu|dead-lettering'

step "The worker's Prometheus metrics: http://localhost:$METRICS_PORT/metrics"
run_logged "$WORK/logs/metrics.txt" 30 scrape "$METRICS_PORT" /metrics
grep -q '^tmq_consumer_outcomes_total{' "$WORK/logs/metrics.txt" || fail "/metrics has no tmq_consumer_outcomes_total"
# The labels every series shares (consumer, topic, group) are left out here to keep lines short.
grep -E '^(tmq_consumer_outcomes_total|messaging_process_duration_seconds_count|tmq_consumer_lag)\{' "$WORK/logs/metrics.txt" \
  | sed -E 's/(otel_scope_[a-z_]+|messaging_consumer_group_name|messaging_destination_name|messaging_system|tmq_consumer)="[^"]*"//g; s/,+/,/g; s/\{,/{/; s/,\}/}/' \
  | sed 's/^/    /'
info "(monitoring/ in the generated project has alert rules and a Grafana dashboard on these series)"

step "The worker's liveness probe: http://localhost:$METRICS_PORT/healthz"
run_logged "$WORK/logs/health.txt" 30 scrape "$METRICS_PORT" /healthz
grep -q '"status": "Healthy"' "$WORK/logs/health.txt" || fail "/healthz does not say Healthy"
show "$WORK/logs/health.txt" '"(status|description)"'

if [ "$MQ" = kafka ]; then
  step "Read the dead letter back: tmqtool tail --topic $DLQ --from-beginning --count 1"
  run_logged "$WORK/logs/tail.log" 90 "$TMQTOOL" tail "${BROKER[@]}" --topic "$DLQ" --from-beginning --count 1 --timeout 60
else
  # NSQ keeps no history: dead letters wait in the dead-letter topic's channel tmqtool-replay, which
  # tail shows and puts back (dlq replay reads it).
  step "Read the dead letter back: tmqtool tail --topic $DLQ --channel tmqtool-replay --count 1"
  run_logged "$WORK/logs/tail.log" 90 "$TMQTOOL" tail "${BROKER[@]}" --topic "$DLQ" --channel tmqtool-replay --count 1 --timeout 60
fi
grep -q 'header tmq-dlq-original-topic=orders' "$WORK/logs/tail.log" || fail "the dead letter has no tmq-dlq-original-topic header"
show "$WORK/logs/tail.log" '.'

step "Stop the worker with SIGTERM"
kill -TERM "$WORKER_PID" 2>/dev/null || { CURRENT_LOG=$WORKER_LOG; fail "the worker had stopped before SIGTERM"; }
wait_for_exit "$WORKER_PID" 45 || { CURRENT_LOG=$WORKER_LOG; fail "the worker did not stop within 45s of SIGTERM"; }
WORKER_PID=''
CURRENT_LOG=$WORKER_LOG
[ "$EXIT_CODE" -eq 0 ] || fail "the worker exited with $EXIT_CODE"
if [ "$MQ" = kafka ]; then
  show "$WORKER_LOG" 'Application is shutting down|shut down; committed'
  grep -q 'shut down; committed' "$WORKER_LOG" || fail "no 'shut down; committed' line in the worker's log"
  run_logged "$WORK/logs/lag.log" 60 "$TMQTOOL" lag "${BROKER[@]}" --topic "$TOPIC" --group "$PSM"
  show "$WORK/logs/lag.log" '.'
  grep -q "committed=4 lag=0" "$WORK/logs/lag.log" || fail "the group did not commit all 4 messages"
else
  show "$WORKER_LOG" 'Application is shutting down|shut down'
  run_logged "$WORK/logs/lag.log" 60 "$TMQTOOL" lag --nsqd "$NSQD_HTTP" --topic "$TOPIC" --channel "$PSM"
  show "$WORK/logs/lag.log" '.'
  grep -q "depth=0 in_flight=0" "$WORK/logs/lag.log" || fail "messages are left in the channel or in flight"
fi

step "Stop the broker"
kill -TERM "$BROKER_PID" 2>/dev/null || { CURRENT_LOG=$BROKER_LOG; fail "the broker had stopped before SIGTERM"; }
wait_for_exit "$BROKER_PID" 30 || { CURRENT_LOG=$BROKER_LOG; fail "the broker did not stop within 30s of SIGTERM"; }
BROKER_PID=''
CURRENT_LOG=$BROKER_LOG
[ "$EXIT_CODE" -eq 0 ] || fail "tmqtool dev $MQ exited with $EXIT_CODE"
show "$BROKER_LOG" 'stopped'

ELAPSED=$(( $(date +%s) - START ))
printf '\n%sDemo passed in %ds.%s\n' "$GREEN" "$ELAPSED" "$RESET"
if [ "$MQ" = kafka ]; then
cat <<EOF
  - tmqtool new scaffolded $NAME; its only business code is MessageHandler.cs.
  - order-1 and order-4 were handled on the first attempt.
  - order-2 ("flaky") threw once, was retried after a backoff, and was handled on attempt 2.
  - order-3 ("poison") threw PermanentFailureException and went straight to $DLQ, with the
    original topic, partition, offset, attempts and exception in its headers.
  - Its /metrics served the outcomes (success, retry, dead_letter), durations and lag that the
    generated alert rules and dashboard read; /healthz, the liveness probe, said Healthy.
  - SIGTERM: the worker drained, committed offsets (lag 0 for all 4 messages) and left the group.
Next: ./scripts/demo.sh nsq; tmqtool new --help, tmqtool dev kafka --help; the generated README.md explains run, configure, deploy.
EOF
else
cat <<EOF
  - tmqtool new scaffolded $NAME for NSQ; its only business code is MessageHandler.cs.
  - order-1 and order-4 (keys carried in the TMQ envelope) were handled on the first attempt.
  - "flaky" (a plain body, no key) threw once, went back to nsqd with the retry delay (REQ; nsqd
    counted the attempt), and was handled on attempt 2.
  - order-3 ("poison") threw PermanentFailureException and went straight to $DLQ as an envelope
    with the original topic, message id, attempts and exception; tail showed it and put it back.
  - Its /metrics served the outcomes, durations and in-flight gauges; /healthz said Healthy.
  - SIGTERM: the worker stopped taking messages, finished what it held, and left nothing in the
    channel or in flight (lag: depth 0, in_flight 0).
Next: tmqtool dlq replay --help, tmqtool dev nsq --help; the generated README.md explains run, configure, deploy.
EOF
fi
