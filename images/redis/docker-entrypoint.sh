#!/usr/bin/env bash
# The official redis image's entrypoint contract, for Debian's redis-server:
#  * options or a *.conf path as first argument run redis-server with them;
#  * redis-server started as root chowns the working directory (/data) to redis and drops
#    to the redis user; any other command is exec'd as given.
#  * The official image builds redis with protected-mode off by default (a container is
#    reached from other containers, never on the host's loopback). Debian's build keeps it
#    on, so unless the config file or the arguments set protected-mode it is turned off here
#    the same way.
set -Eeuo pipefail

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

if [ "$1" = redis-server ]; then
	if [ "$(id -u)" = 0 ]; then
		find . \! -user redis -exec chown redis '{}' +
		exec gosu redis "${BASH_SOURCE[0]}" "$@"
	fi

	sets_protected_mode=false
	for arg in "${@:2}"; do
		[ "$arg" = --protected-mode ] && sets_protected_mode=true
	done
	if [ "$#" -ge 2 ] && [ "${2#-}" = "$2" ] && [ -f "$2" ] \
		&& grep -Eqi '^[[:space:]]*protected-mode[[:space:]]' "$2"; then
		sets_protected_mode=true
	fi
	if [ "$sets_protected_mode" = false ]; then
		set -- "$@" --protected-mode no
	fi
fi

exec "$@"
