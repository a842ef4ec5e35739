#!/usr/bin/env bash
# Stops the dockerd that scripts/setup-test-host.sh started, and only that one: the PID is
# read from its pidfile and must still be a dockerd. Containers it runs are stopped by the
# daemon as it shuts down; images, volumes and networks stay for the next setup.
# A daemon started some other way (systemd, by hand) is left alone.
set -Eeuo pipefail

DOCKERD_PIDFILE="${DEAN_DOCKERD_PIDFILE:-/run/dean-test-dockerd.pid}"
STOP_WAIT_SECONDS=60

log() { printf '[stop-test-host] %s\n' "$*"; }

if [ ! -s "$DOCKERD_PIDFILE" ]; then
	log "no $DOCKERD_PIDFILE: no dockerd started by setup-test-host.sh is running"
	exit 0
fi
pid="$(cat "$DOCKERD_PIDFILE")"
if ! [[ "$pid" =~ ^[0-9]+$ ]] || [ "$(cat "/proc/$pid/comm" 2>/dev/null)" != dockerd ]; then
	log "pid '$pid' from $DOCKERD_PIDFILE is not a running dockerd; removing the stale pidfile"
	rm -f "$DOCKERD_PIDFILE"
	exit 0
fi

log "stopping dockerd (pid $pid); it stops its containers first"
kill -TERM "$pid"
for ((waited = 0; waited < STOP_WAIT_SECONDS; waited++)); do
	if ! kill -0 "$pid" 2>/dev/null; then
		rm -f "$DOCKERD_PIDFILE"
		log "dockerd stopped after ${waited}s"
		exit 0
	fi
	sleep 1
done
printf '[stop-test-host] ERROR: dockerd (pid %s) still runs after %ss; see its log (DEAN_DOCKERD_LOG, default /var/log/dean-test-dockerd.log)\n' "$pid" "$STOP_WAIT_SECONDS" >&2
exit 1
