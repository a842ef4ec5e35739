#!/usr/bin/env bash
# The official postgres image's entrypoint contract, for Debian's PostgreSQL 15:
#  * `postgres [-c name=value ...]` (or only options): as root, fix the ownership of
#    $PGDATA and re-exec as the postgres user; on an empty $PGDATA run initdb with
#    POSTGRES_USER / POSTGRES_PASSWORD / POSTGRES_INITDB_ARGS, allow host connections with
#    POSTGRES_HOST_AUTH_METHOD (default: the server's password_encryption, scram-sha-256),
#    create POSTGRES_DB and run /docker-entrypoint-initdb.d/*.sh|*.sql|*.sql.gz once;
#    then exec the server as PID 1 with the arguments given.
#  * Any other command (`bash`, `dean-backup run`, `pg_dump ...`) is exec'd as given.
# A data directory that already holds a cluster is never initialised again, so its data and
# the superuser's original password survive a new container on the same volume.
set -Eeuo pipefail

log() { printf '%s docker-entrypoint: %s\n' "$(date -u '+%Y-%m-%d %H:%M:%S UTC')" "$*" >&2; }
die() { log "error: $*"; exit 1; }

# VAR or VAR_FILE (Docker secrets), as the official image reads its settings.
file_env() {
	local var="$1" file_var="${1}_FILE" default="${2:-}" value
	if [ -n "${!var:-}" ] && [ -n "${!file_var:-}" ]; then
		die "both $var and $file_var are set (but are exclusive)"
	fi
	value="$default"
	if [ -n "${!var:-}" ]; then
		value="${!var}"
	elif [ -n "${!file_var:-}" ]; then
		value="$(< "${!file_var}")"
	fi
	export "$var"="$value"
	unset "$file_var"
}

# `postgres --help`, `-V`, `-C name` and friends print something and exit: no init for them.
wants_info_only() {
	local arg
	for arg; do
		case "$arg" in
			-'?' | --help | --describe-config | -V | --version | -C) return 0 ;;
		esac
	done
	return 1
}

run_sql() {
	psql -v ON_ERROR_STOP=1 --no-psqlrc --no-password --username "$POSTGRES_USER" "$@"
}

init_cluster() {
	file_env POSTGRES_PASSWORD
	file_env POSTGRES_USER postgres
	file_env POSTGRES_DB "$POSTGRES_USER"
	file_env POSTGRES_INITDB_ARGS
	POSTGRES_HOST_AUTH_METHOD="${POSTGRES_HOST_AUTH_METHOD:-}"

	if [ -z "$POSTGRES_PASSWORD" ] && [ "$POSTGRES_HOST_AUTH_METHOD" != trust ]; then
		die "the database is uninitialized and POSTGRES_PASSWORD is not set: set it (or POSTGRES_HOST_AUTH_METHOD=trust to allow every connection without a password)"
	fi

	log "initialising a new cluster in $PGDATA for superuser \"$POSTGRES_USER\""
	# --pwfile refuses an empty file, hence the newline. eval keeps quoting inside
	# POSTGRES_INITDB_ARGS working the way the official image allows.
	eval 'initdb --username="$POSTGRES_USER" --pwfile=<(printf "%s\n" "$POSTGRES_PASSWORD") '"$POSTGRES_INITDB_ARGS"

	local auth="$POSTGRES_HOST_AUTH_METHOD"
	if [ -z "$auth" ]; then
		auth="$(postgres -C password_encryption "${@:2}" 2>/dev/null || true)"
		auth="${auth:-scram-sha-256}"
	fi
	{
		printf '\n# Added by docker-entrypoint.sh: connections from other containers.\n'
		printf 'host all all all %s\n' "$auth"
	} >> "$PGDATA/pg_hba.conf"

	# A temporary server on the Unix socket only, trusting local connections whatever
	# POSTGRES_INITDB_ARGS chose for them (e.g. --auth-local=peer), for the setup below.
	local setup_hba
	setup_hba="$(mktemp /tmp/pg_hba.setup.XXXXXX)"
	printf 'local all all trust\n' > "$setup_hba"
	local -a server_args=("${@:2}" -c "hba_file=$setup_hba" -c "listen_addresses=" -p "${PGPORT:-5432}")
	PGUSER="$POSTGRES_USER" pg_ctl -D "$PGDATA" -o "$(printf '%q ' "${server_args[@]}")" -w start >&2

	if [ "$POSTGRES_DB" != postgres ]; then
		local exists
		exists="$(run_sql --dbname postgres --set db="$POSTGRES_DB" --tuples-only --no-align \
			--command "SELECT 1 FROM pg_database WHERE datname = :'db'" 2>/dev/null || true)"
		if [ -z "$exists" ]; then
			log "creating database \"$POSTGRES_DB\""
			printf 'CREATE DATABASE :"db";\n' | run_sql --dbname postgres --set db="$POSTGRES_DB" >&2
		fi
	fi

	local file
	for file in /docker-entrypoint-initdb.d/*; do
		[ -e "$file" ] || continue
		case "$file" in
			*.sh)
				if [ -x "$file" ]; then
					log "running $file"; "$file"
				else
					log "sourcing $file"; . "$file"
				fi
				;;
			*.sql) log "running $file"; run_sql --dbname "$POSTGRES_DB" -f "$file" >&2 ;;
			*.sql.gz) log "running $file"; gunzip -c "$file" | run_sql --dbname "$POSTGRES_DB" >&2 ;;
			*) log "ignoring $file" ;;
		esac
	done

	pg_ctl -D "$PGDATA" -m fast -w stop >&2
	rm -f "$setup_hba"
	log "initialisation complete; starting the server"
}

if [ "$#" -eq 0 ] || [ "${1:0:1}" = '-' ]; then
	set -- postgres "$@"
fi

if [ "$1" != postgres ]; then
	exec "$@"
fi

if [ "$(id -u)" = 0 ]; then
	if ! wants_info_only "$@"; then
		mkdir -p "$PGDATA"
		find "$PGDATA" \! -user postgres -exec chown postgres:postgres '{}' +
		chmod 0700 "$PGDATA"
		install -d -o postgres -g postgres -m 3777 /var/run/postgresql
	fi
	exec gosu postgres "${BASH_SOURCE[0]}" "$@"
fi

if wants_info_only "$@"; then
	exec "$@"
elif [ ! -s "$PGDATA/PG_VERSION" ]; then
	mkdir -p "$PGDATA"
	chmod 0700 "$PGDATA" 2>/dev/null || true
	init_cluster "$@"
else
	log "$PGDATA already holds a PostgreSQL $(cat "$PGDATA/PG_VERSION") cluster: skipping initialisation"
fi

exec "$@"
