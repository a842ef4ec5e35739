import type { BackupSettings } from "../config";

export interface BackupScriptInput {
  readonly backup: BackupSettings;
  /** Seconds between scheduled dumps (already parsed from backup.interval). */
  readonly intervalSeconds: number;
  /** Directory inside the container where dumps live. */
  readonly backupDir: string;
}

/** Longest a single pg_dump or pg_restore may run before it is killed. */
const OPERATION_TIMEOUT_SECONDS = 6 * 3600;

/** After a failed scheduled dump the next attempt comes sooner than a whole interval. */
const MAX_FAILURE_RETRY_SECONDS = 600;

/** Single-quotes a value for bash. */
export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * Template tag for the constant script body. The text is taken raw, so backslashes are bash's
 * own; because `${` would start a TypeScript substitution, the body writes bash's `${` as `$\{`.
 * It accepts no substitutions: every rendered value goes through the quoted header instead.
 */
function bash(strings: TemplateStringsArray, ...none: never[]): string {
  if (none.length > 0) throw new Error("the backup script body takes no substitutions");
  return strings.raw.join("").replaceAll("$\\{", "${");
}

function validate(input: BackupScriptInput): void {
  const problems: string[] = [];
  if (!Number.isInteger(input.intervalSeconds) || input.intervalSeconds < 1) {
    problems.push(`intervalSeconds must be a whole number of seconds >= 1 (got ${input.intervalSeconds})`);
  }
  if (!/^\/[^\s']*[^/\s']$/.test(input.backupDir)) {
    problems.push(`backupDir must be an absolute directory path other than / without spaces or quotes (got ${JSON.stringify(input.backupDir)})`);
  }
  if (problems.length > 0) throw new Error(`renderBackupScript: ${problems.join("; ")}`);
}

/**
 * The `dean-backup` bash script of the backup container: scheduled, verified pg_dump archives,
 * retention, status.json, a backup-age healthcheck, and the manual/pre-upgrade/restore commands
 * operators and the upgrade flow use. Connection settings come only from the libpq environment
 * (PGHOST, PGPORT, PGUSER, PGPASSWORD, PGDATABASE), so the text holds no secret.
 */
export function renderBackupScript(input: BackupScriptInput): string {
  validate(input);
  const { backup, intervalSeconds } = input;
  const header = [
    "#!/usr/bin/env bash",
    "# dean-backup: scheduled, verified PostgreSQL dumps of the DEAN application database.",
    "# Rendered by dean-infra (components/render/backup-script.ts); change the stack config, not this file.",
    "# Connection settings come only from the environment: PGHOST PGPORT PGUSER PGPASSWORD PGDATABASE.",
    "set -euo pipefail",
    "# Dumps hold every row of the application: readable by their owner only.",
    "umask 077",
    "",
    `readonly BACKUP_DIR=${shellQuote(input.backupDir)}`,
    `readonly SCHEDULE_ENABLED=${backup.enabled ? "true" : "false"}`,
    `readonly INTERVAL_SECONDS=${intervalSeconds}`,
    `readonly FAILURE_RETRY_SECONDS=${Math.min(intervalSeconds, MAX_FAILURE_RETRY_SECONDS)}`,
    `readonly RETENTION_DAYS=${backup.retentionDays}`,
    `readonly MIN_KEEP=${backup.minKeep}`,
    `readonly VERIFY_MODE=${backup.verify}`,
    `readonly OPERATION_TIMEOUT_SECONDS=${OPERATION_TIMEOUT_SECONDS}`,
    "",
  ].join("\n");
  return header + SCRIPT_BODY;
}

const SCRIPT_BODY = bash`# Every wait is bounded: a hung database must not wedge the job.
readonly DB_WAIT_SECONDS=120
# Unverified dumps and temp files older than this are leftovers of an interrupted run.
readonly LEFTOVER_AGE_SECONDS=86400
readonly STATUS_FILE="$BACKUP_DIR/status.json"
readonly MAINTENANCE_DB=postgres
readonly NAME_PATTERN='^(scheduled|manual|pre-upgrade)-[A-Za-z0-9_]+-[0-9]{8}T[0-9]{6}Z(-[A-Za-z0-9._-]+)?\.dump$'
export PGCONNECT_TIMEOUT="$\{PGCONNECT_TIMEOUT:-10}"

# Set by verify_by_restore and run_logged for the caller (status.json, the .ok marker).
RESTORED_TABLES=""
LAST_COMMAND_ERROR=""
# What a stop signal must clean up: the background sleep, a dump being written, a scratch database.
SLEEP_PID=""
CURRENT_PARTIAL=""
CURRENT_SCRATCH=""

log() {
  printf '%s dean-backup[%s] %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$$" "$*" >&2
}

usage() {
  printf '%s\n' \
    "usage: dean-backup <command>" \
    "" \
    "  run                      main process: a dump now and every $\{INTERVAL_SECONDS}s, each verified, then prune" \
    "  now [label]              one verified dump now (kind manual); prints its file name last" \
    "  pre-upgrade <label>      one verified dump before a migration; prints its file name last" \
    "  list                     dumps, newest first: name, bytes, UTC time, verified yes/no (tab-separated)" \
    "  verify [file]            verify a dump (default: the newest); the exit code says whether it is good" \
    "  restore <file> [--into <database>]" \
    "                           restore a dump into \$PGDATABASE or the given database (created if missing)" \
    "  prune                    remove verified dumps older than $\{RETENTION_DAYS} days, keeping the newest $\{MIN_KEEP}" \
    "  healthcheck              exit 0 only if the newest verified dump is younger than $((2 * INTERVAL_SECONDS))s" \
    "  help                     this text" \
    "" \
    "Dumps live in $BACKUP_DIR; verification mode: $VERIFY_MODE; state: $STATUS_FILE." \
    "Connection: PGHOST, PGPORT, PGUSER (a superuser), PGPASSWORD, PGDATABASE (the application database)."
}

fail_usage() {
  log "error: $*"
  usage >&2
  exit 2
}

require_database_env() {
  if [[ -z "$\{PGDATABASE:-}" ]]; then
    log "error: PGDATABASE must name the application database"
    exit 2
  fi
}

ensure_backup_dir() {
  mkdir -p -- "$BACKUP_DIR"
}

utc_from_epoch() {
  date -u -d "@$1" +%Y-%m-%dT%H:%M:%SZ
}

json_string() {
  local s=$1
  s=$\{s//\\/\\\\}
  s=$\{s//\"/\\\"}
  s=$\{s//[[:cntrl:]]/ }
  printf '"%s"' "$s"
}

json_string_or_null() {
  if [[ -n $1 ]]; then json_string "$1"; else printf 'null'; fi
}

# "epoch name" of every dump (our naming only), newest first; epoch is the file's mtime,
# i.e. when the dump finished.
list_dumps() {
  local epoch name
  while read -r epoch name; do
    if [[ $name =~ $NAME_PATTERN ]]; then printf '%s %s\n' "$\{epoch%.*}" "$name"; fi
  done < <(find "$BACKUP_DIR" -maxdepth 1 -type f -name '*.dump' -printf '%T@ %f\n' | sort -k1,1nr -k2,2r)
}

# Size and modification time (to the nanosecond) of a file: what a marker records to tell
# cheaply whether the bytes it vouches for are still the ones that were verified.
file_identity() {
  stat -c '%s %.9Y' -- "$1"
}

# "size mtime" recorded in a dump's marker; empty for a marker written before they were.
marker_identity() {
  local size mtime
  size=$(marker_value size "$1")
  mtime=$(marker_value mtime "$1")
  if [[ -n $size && -n $mtime ]]; then printf '%s %s\n' "$size" "$mtime"; fi
}

# A dump is good while its marker exists and still describes it: a dump overwritten, appended
# to or replaced after verification (even under the same name, in the same second) is not.
# Cheap enough for the healthcheck; verify also compares the sha256 of every byte.
is_verified() {
  local recorded actual
  [[ -f "$BACKUP_DIR/$1.ok" ]] || return 1
  recorded=$(marker_identity "$1")
  actual=$(file_identity "$BACKUP_DIR/$1" 2>/dev/null) || return 1
  [[ -n $recorded && $recorded == "$actual" ]]
}

list_good_dumps() {
  local epoch name
  while read -r epoch name; do
    if is_verified "$name"; then printf '%s %s\n' "$epoch" "$name"; fi
  done < <(list_dumps)
}

first_line_of() {
  local lines
  mapfile -t lines < <("$@")
  if (( $\{#lines[@]} > 0 )); then printf '%s\n' "$\{lines[0]}"; fi
}

psql_admin() {
  PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 --no-password -d "$MAINTENANCE_DB" "$@"
}

# Tables (plain and partitioned) in the public schema of a database.
count_tables() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 --no-password -d "$1" -c \
    "SELECT count(*) FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
}

# Tables of the public schema in an archive's table of contents, whose entries read
# "215; 1259 16385 TABLE public agents dean". Plain bash: the image need not have awk.
count_archive_tables() {
  local -a fields
  local count=0
  while read -r -a fields; do
    if [[ $\{fields[3]:-} == TABLE && $\{fields[4]:-} == public ]]; then count=$((count + 1)); fi
  done < <(pg_restore --list "$1")
  printf '%s\n' "$count"
}

drop_database() {
  psql_admin -c "DROP DATABASE IF EXISTS \"$1\" WITH (FORCE)"
}

# Runs a long command under a time limit, copying its stderr to ours and keeping the last
# line for status.json.
run_logged() {
  local errors status=0
  errors=$(mktemp) || return 1
  timeout --kill-after=60 "$OPERATION_TIMEOUT_SECONDS" "$@" 2>"$errors" || status=$?
  LAST_COMMAND_ERROR=""
  if [[ -s $errors ]]; then
    cat "$errors" >&2
    LAST_COMMAND_ERROR=$(tail -n 1 "$errors")
  fi
  if (( status == 124 )); then LAST_COMMAND_ERROR="$1 timed out after $\{OPERATION_TIMEOUT_SECONDS}s"; fi
  rm -f -- "$errors"
  return "$status"
}

wait_for_database() {
  local deadline=$((SECONDS + DB_WAIT_SECONDS))
  until pg_isready -q -t 5 -d "$MAINTENANCE_DB"; do
    if (( SECONDS >= deadline )); then
      log "the database server is not ready after $\{DB_WAIT_SECONDS}s"
      return 1
    fi
    sleep 2
  done
}

# Restores an archive into a scratch database and checks it holds at least the expected
# number of tables; the scratch database is dropped either way.
verify_by_restore() {
  local archive=$1 expected=$2 scratch="dean_verify_$$" restored="" status=0
  RESTORED_TABLES=""
  CURRENT_SCRATCH=$scratch
  drop_database "$scratch" || return 1
  if ! psql_admin -c "CREATE DATABASE \"$scratch\" TEMPLATE template0"; then
    log "cannot create the scratch database $scratch"
    return 1
  fi
  if ! run_logged pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname="$scratch" "$archive"; then
    log "restoring into the scratch database $scratch failed"
    status=1
  elif ! restored=$(count_tables "$scratch"); then
    log "cannot count the tables restored into $scratch"
    status=1
  elif (( restored < expected )); then
    log "the restore holds $restored tables, the source had $expected"
    LAST_COMMAND_ERROR="restore check: $restored of $expected tables"
    status=1
  else
    RESTORED_TABLES=$restored
  fi
  drop_database "$scratch" || log "warning: could not drop the scratch database $scratch"
  CURRENT_SCRATCH=""
  return "$status"
}

# Checks an archive: its table of contents must be readable and, in restore mode, it must
# restore with at least the expected number of tables. Exit status 2 means the file itself
# is unreadable (as opposed to a restore that failed).
verify_archive() {
  local archive=$1 expected=$2
  if ! pg_restore --list "$archive" >/dev/null; then
    log "pg_restore cannot read $\{archive##*/}"
    LAST_COMMAND_ERROR="pg_restore --list cannot read the archive"
    return 2
  fi
  if [[ $VERIFY_MODE == restore ]]; then
    verify_by_restore "$archive" "$expected" || return 1
  fi
}

# Marks a dump verified with what was checked; written before the dump gets its final name,
# so a *.dump file is good exactly when its .ok marker exists.
# The archive keeps its size and mtime when it is renamed into place, so the marker may be
# written from the partial file.
write_marker() {
  local name=$1 archive=$2 source_tables=$3 tmp checksum size mtime
  checksum=$(sha256sum "$archive" | cut -d ' ' -f 1) || return 1
  read -r size mtime < <(file_identity "$archive") || return 1
  tmp=$(mktemp "$BACKUP_DIR/.$name.ok.XXXXXX") || return 1
  printf 'verified_at=%s\nverify=%s\nsource_tables=%s\nrestored_tables=%s\nsha256=%s\nsize=%s\nmtime=%s\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$VERIFY_MODE" "$source_tables" "$RESTORED_TABLES" "$checksum" "$size" "$mtime" >"$tmp" || return 1
  mv -f -- "$tmp" "$BACKUP_DIR/$name.ok"
}

marker_value() {
  local key=$1 marker="$BACKUP_DIR/$2.ok" line
  if [[ -f $marker ]]; then
    while IFS= read -r line; do
      if [[ $line == "$key="* ]]; then printf '%s\n' "$\{line#*=}"; fi
    done <"$marker"
  fi
}

# status.json, replaced atomically: the newest good dump and the last dump attempt's result.
write_status() {
  local result=$1 attempted=$2 error=$3 newest epoch="" name="" when="null" tmp
  newest=$(first_line_of list_good_dumps) || return 1
  if [[ -n $newest ]]; then
    epoch=$\{newest%% *}
    name=$\{newest#* }
    when=$(json_string "$(utc_from_epoch "$epoch")")
  fi
  tmp=$(mktemp "$BACKUP_DIR/.status.json.XXXXXX") || return 1
  {
    printf '{\n'
    printf '  "newestGoodDump": %s,\n' "$(json_string_or_null "$name")"
    printf '  "newestGoodDumpTime": %s,\n' "$when"
    printf '  "newestGoodDumpEpoch": %s,\n' "$\{epoch:-null}"
    printf '  "lastResult": %s,\n' "$(json_string "$result")"
    printf '  "lastDump": %s,\n' "$(json_string_or_null "$attempted")"
    printf '  "lastRunTime": %s,\n' "$(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)")"
    printf '  "lastError": %s\n' "$(json_string_or_null "$error")"
    printf '}\n'
  } >"$tmp" || return 1
  chmod 0644 "$tmp" || return 1
  mv -f -- "$tmp" "$STATUS_FILE"
}

record_failure() {
  local name=$1 message=$2
  if [[ -n $LAST_COMMAND_ERROR ]]; then message="$message: $LAST_COMMAND_ERROR"; fi
  log "error: $message"
  write_status failure "$name" "$message" || log "warning: cannot write $STATUS_FILE"
}

# Takes, verifies and names one dump; prints its file name on stdout (nothing else).
# Written with explicit checks because it runs where set -e is suspended (if, ||).
take_dump() {
  local kind=$1 label=$2 database=$PGDATABASE stamp name="" partial tables _
  for _ in 1 2 3; do
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    name="$kind-$\{database//[^A-Za-z0-9_]/_}-$stamp$\{label:+-$label}.dump"
    if [[ ! -e "$BACKUP_DIR/$name" ]]; then break; fi
    # Two dumps in the same second would share a name; the next second gets a new one.
    sleep 1
  done
  if [[ -e "$BACKUP_DIR/$name" ]]; then
    record_failure "$name" "a dump named $name already exists"
    return 1
  fi
  partial="$BACKUP_DIR/.$name.partial"
  CURRENT_PARTIAL=$partial
  LAST_COMMAND_ERROR=""
  if ! wait_for_database; then
    record_failure "$name" "the database server is not accepting connections"
    return 1
  fi
  if ! tables=$(count_tables "$database"); then
    record_failure "$name" "cannot read the tables of $database"
    return 1
  fi
  log "dumping $database ($tables tables) to $name"
  if ! run_logged pg_dump --format=custom --no-password --file="$partial" --dbname="$database"; then
    rm -f -- "$partial"
    record_failure "$name" "pg_dump of $database failed"
    return 1
  fi
  if ! verify_archive "$partial" "$tables"; then
    rm -f -- "$partial"
    record_failure "$name" "verification ($VERIFY_MODE) of $name failed; the dump was deleted"
    return 1
  fi
  if ! write_marker "$name" "$partial" "$tables" || ! mv -f -- "$partial" "$BACKUP_DIR/$name"; then
    rm -f -- "$partial" "$BACKUP_DIR/$name.ok"
    record_failure "$name" "cannot store $name in $BACKUP_DIR"
    return 1
  fi
  CURRENT_PARTIAL=""
  log "stored $name ($(stat -c %s "$BACKUP_DIR/$name") bytes, verified: $VERIFY_MODE$\{RESTORED_TABLES:+, $RESTORED_TABLES tables restored})"
  write_status success "$name" "" || log "warning: cannot write $STATUS_FILE"
  printf '%s\n' "$name"
}

# Retention: verified dumps older than RETENTION_DAYS go, except the MIN_KEEP newest (so the
# newest good dump always stays); unverified dumps and temp files older than a day go too.
prune() {
  local now index=0 line epoch name removed=0 path base
  local -a good
  now=$(date +%s)
  mapfile -t good < <(list_good_dumps)
  for line in "$\{good[@]}"; do
    epoch=$\{line%% *}
    name=$\{line#* }
    if (( index >= MIN_KEEP && now - epoch > RETENTION_DAYS * 86400 )); then
      rm -f -- "$BACKUP_DIR/$name" "$BACKUP_DIR/$name.ok"
      log "pruned $name (older than $\{RETENTION_DAYS} days)"
      removed=$((removed + 1))
    fi
    index=$((index + 1))
  done
  while IFS= read -r -d '' path; do
    base=$\{path##*/}
    # Only our own files: a dump an operator copied in under another name is left alone.
    case $base in
      *.dump) if [[ ! $base =~ $NAME_PATTERN || -f "$path.ok" ]]; then continue; fi ;;
      *.dump.ok) if [[ ! $\{base%.ok} =~ $NAME_PATTERN || -f "$\{path%.ok}" ]]; then continue; fi ;;
    esac
    rm -f -- "$path"
    log "removed leftover $base"
    removed=$((removed + 1))
  done < <(find "$BACKUP_DIR" -maxdepth 1 -type f \
    \( -name '*.dump' -o -name '*.dump.ok' -o -name '.*.partial' -o -name '.*.ok.*' -o -name '.status.json.*' \) \
    -mmin +$((LEFTOVER_AGE_SECONDS / 60)) -print0)
  log "prune: removed $removed file(s); $\{#good[@]} verified dump(s) were considered"
}

# A path given on the command line, resolved inside BACKUP_DIR; anything else is refused.
resolve_dump() {
  local given=$1 path real directory
  if [[ $given == */* ]]; then path=$given; else path="$BACKUP_DIR/$given"; fi
  if [[ ! -f $path ]]; then
    log "error: no such dump: $given (dumps live in $BACKUP_DIR; see dean-backup list)"
    return 1
  fi
  real=$(realpath -e -- "$path") || return 1
  directory=$(realpath -e -- "$BACKUP_DIR") || return 1
  if [[ $\{real%/*} != "$directory" ]]; then
    log "error: refusing $given: only dumps directly inside $BACKUP_DIR can be used"
    return 1
  fi
  if [[ ! $\{real##*/} =~ $NAME_PATTERN ]]; then
    log "error: refusing $given: not a dean-backup dump (kind-database-time[-label].dump)"
    return 1
  fi
  printf '%s\n' "$real"
}

verify_command() {
  local path name expected recorded actual recorded_identity actual_identity result=0
  require_database_env
  if (( $# > 0 )); then
    path=$(resolve_dump "$1") || exit 1
  else
    name=$(first_line_of list_dumps)
    if [[ -z $name ]]; then
      log "error: there is no dump in $BACKUP_DIR to verify"
      exit 1
    fi
    path="$BACKUP_DIR/$\{name#* }"
  fi
  name=$\{path##*/}
  recorded=$(marker_value sha256 "$name")
  actual=$(sha256sum "$path" | cut -d ' ' -f 1)
  recorded_identity=$(marker_identity "$name")
  actual_identity=$(file_identity "$path")
  if [[ -n $recorded && $recorded != "$actual" ]]; then
    log "error: $name changed since it was verified (sha256 $actual, recorded $recorded; size and mtime $actual_identity, recorded $\{recorded_identity:-none})"
    result=2
  else
    if [[ -n $recorded_identity && $recorded_identity != "$actual_identity" ]]; then
      log "$name was touched since it was verified (size and mtime $actual_identity, recorded $recorded_identity), but its bytes match the recorded sha256: verifying it again"
    fi
    expected=$(marker_value source_tables "$name")
    # An unreadable archive has no table of contents; verify_archive reports it below.
    if [[ -z $expected ]]; then expected=$(count_archive_tables "$path" 2>/dev/null) || expected=0; fi
    verify_archive "$path" "$expected" || result=$?
  fi
  if (( result == 0 )); then
    write_marker "$name" "$path" "$expected"
    printf 'verified %s (%s)\n' "$name" "$VERIFY_MODE"
    return 0
  fi
  if (( result == 2 )) && [[ -f "$BACKUP_DIR/$name.ok" ]]; then
    # The file itself is damaged: it must no longer count as a good dump.
    rm -f -- "$BACKUP_DIR/$name.ok"
    log "removed the verified mark of $name"
  fi
  printf 'FAILED %s\n' "$name"
  exit 1
}

list_command() {
  local epoch name size verified
  while read -r epoch name; do
    size=$(stat -c %s "$BACKUP_DIR/$name" 2>/dev/null) || continue
    if is_verified "$name"; then verified=yes; else verified=no; fi
    printf '%s\t%s\t%s\t%s\n' "$name" "$size" "$(utc_from_epoch "$epoch")" "$verified"
  done < <(list_dumps)
}

healthcheck_command() {
  local newest epoch name age limit=$((2 * INTERVAL_SECONDS))
  if [[ $SCHEDULE_ENABLED != true ]]; then
    echo "healthy: scheduled dumps are disabled"
    return 0
  fi
  newest=$(first_line_of list_good_dumps)
  if [[ -z $newest ]]; then
    echo "unhealthy: no verified dump in $BACKUP_DIR"
    exit 1
  fi
  epoch=$\{newest%% *}
  name=$\{newest#* }
  age=$(( $(date +%s) - epoch ))
  if (( age > limit )); then
    echo "unhealthy: the newest verified dump $name is $\{age}s old (limit $\{limit}s)"
    exit 1
  fi
  echo "healthy: the newest verified dump $name is $\{age}s old (limit $\{limit}s)"
}

restore_command() {
  local file="" target=$\{PGDATABASE:-} path exists tables
  while (( $# > 0 )); do
    case $1 in
      --into)
        if (( $# < 2 )); then fail_usage "--into needs a database name"; fi
        target=$2
        shift 2
        ;;
      -*) fail_usage "unknown restore option $1" ;;
      *)
        if [[ -n $file ]]; then fail_usage "restore takes one dump file"; fi
        file=$1
        shift
        ;;
    esac
  done
  if [[ -z $file ]]; then fail_usage "restore needs a dump file (see dean-backup list)"; fi
  require_database_env
  if [[ ! $target =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]]; then fail_usage "the target database must be an SQL identifier (got '$target')"; fi
  path=$(resolve_dump "$file") || exit 1
  if ! is_verified "$\{path##*/}"; then log "warning: $\{path##*/} is not verified"; fi
  wait_for_database || exit 1
  exists=$(psql_admin -A -t -c "SELECT 1 FROM pg_database WHERE datname = '$target'")
  if [[ -z $exists ]]; then
    log "creating database $target"
    psql_admin -c "CREATE DATABASE \"$target\" TEMPLATE template0"
  fi
  log "restoring $\{path##*/} into $target"
  # Owners are restored as dumped so that the application role keeps owning its tables. A lock
  # held by a running orchestrator makes the restore fail fast instead of hanging.
  if ! PGOPTIONS="-c lock_timeout=120s" run_logged pg_restore --clean --if-exists --exit-on-error --single-transaction \
      --no-password --dbname="$target" "$path"; then
    log "error: the restore failed and was rolled back: $LAST_COMMAND_ERROR"
    exit 1
  fi
  tables=$(count_tables "$target")
  printf 'restored %s into %s: %s tables in schema public\n' "$\{path##*/}" "$target" "$tables"
}

dump_command() {
  local kind=$1 label=$2 name
  require_database_env
  ensure_backup_dir
  # Labels become part of a file name: anything but letters, digits, dot, underscore and dash is replaced.
  label=$\{label//[^A-Za-z0-9._-]/_}
  label=$\{label:0:64}
  if name=$(take_dump "$kind" "$label"); then
    printf '%s\n' "$name"
  else
    exit 1
  fi
}

# Bash runs this once the current foreground command (at worst one pg_dump/pg_restore) returns.
on_stop() {
  log "stop requested; exiting"
  if [[ -n $SLEEP_PID ]]; then kill "$SLEEP_PID" 2>/dev/null || true; fi
  if [[ -n $CURRENT_PARTIAL ]]; then rm -f -- "$CURRENT_PARTIAL"; fi
  if [[ -n $CURRENT_SCRATCH ]]; then drop_database "$CURRENT_SCRATCH" || true; fi
  exit 0
}

# Sleeps in the background so that TERM/INT interrupt the wait at once.
sleep_interruptibly() {
  sleep "$1" &
  SLEEP_PID=$!
  wait "$SLEEP_PID" || true
  SLEEP_PID=""
}

drop_stale_verify_databases() {
  local database
  while read -r database; do
    if [[ -n $database ]]; then
      log "dropping the scratch database $database left by an interrupted verification"
      drop_database "$database" || true
    fi
  done < <(psql_admin -A -t -c "SELECT datname FROM pg_database WHERE datname ~ '^dean_verify_[0-9]+\$'")
}

# Markers written by an earlier dean-backup record no size and mtime, so is_verified no
# longer vouches for their dumps. At start, a dump whose bytes still match the recorded
# sha256 gets its size and mtime added; one that does not stays unverified (and is kept,
# for an operator to look at) until dean-backup verify says otherwise.
adopt_legacy_markers() {
  local marker name recorded actual size mtime tmp
  for marker in "$BACKUP_DIR"/*.dump.ok; do
    name=$\{marker##*/}
    name=$\{name%.ok}
    if [[ ! -f $marker || ! $name =~ $NAME_PATTERN || ! -f "$BACKUP_DIR/$name" || -n $(marker_identity "$name") ]]; then continue; fi
    recorded=$(marker_value sha256 "$name")
    actual=$(sha256sum "$BACKUP_DIR/$name" | cut -d ' ' -f 1) || continue
    if [[ -z $recorded || $recorded != "$actual" ]]; then
      log "warning: $name does not match the sha256 its marker recorded; it stays unverified (dean-backup verify $name)"
      continue
    fi
    read -r size mtime < <(file_identity "$BACKUP_DIR/$name") || continue
    tmp=$(mktemp "$BACKUP_DIR/.$name.ok.XXXXXX") || continue
    if { cat -- "$marker" && printf 'size=%s\nmtime=%s\n' "$size" "$mtime"; } >"$tmp" && mv -f -- "$tmp" "$marker"; then
      log "recorded the size and modification time of $name in its marker"
    else
      rm -f -- "$tmp"
    fi
  done
}

run_command() {
  local delay
  require_database_env
  ensure_backup_dir
  adopt_legacy_markers
  trap on_stop TERM INT
  if [[ $SCHEDULE_ENABLED != true ]]; then
    log "scheduled dumps are disabled; idle, for manual and pre-upgrade dumps only"
    while true; do sleep_interruptibly 3600; done
  fi
  log "a dump every $\{INTERVAL_SECONDS}s into $BACKUP_DIR (verify: $VERIFY_MODE; keep $\{RETENTION_DAYS} days, at least $MIN_KEEP dumps)"
  if wait_for_database; then drop_stale_verify_databases || true; fi
  while true; do
    delay=$INTERVAL_SECONDS
    if take_dump scheduled "" >/dev/null; then
      prune || log "warning: pruning failed"
    else
      delay=$FAILURE_RETRY_SECONDS
      log "the scheduled dump failed; next attempt in $\{delay}s"
    fi
    sleep_interruptibly "$delay"
  done
}

main() {
  local command=$\{1:-help}
  if (( $# > 0 )); then shift; fi
  case $command in
    run) run_command ;;
    now) dump_command manual "$\{1:-}" ;;
    pre-upgrade)
      if [[ -z "$\{1:-}" ]]; then fail_usage "pre-upgrade needs a label (e.g. the new image tag)"; fi
      dump_command pre-upgrade "$1"
      ;;
    list) list_command ;;
    verify) verify_command "$@" ;;
    restore) restore_command "$@" ;;
    prune) ensure_backup_dir; prune ;;
    healthcheck) healthcheck_command ;;
    help | -h | --help) usage ;;
    *) fail_usage "unknown command $command" ;;
  esac
}

main "$@"
`;
