/**
 * The script that writes a service container's files (its configuration, its scripts, a
 * secret) into the volume they are mounted from. It runs with `sh` in a throwaway container of
 * the service's image, the volume mounted at `dir`.
 */

export interface FileToWrite {
  /** File name in the directory. */
  readonly name: string;
  /** Octal mode, e.g. `0755`. */
  readonly mode: string;
  /** Where its text comes from: an environment variable, or the writer's stdin (for a secret). */
  readonly from: { readonly variable: string } | "stdin";
  /** `user[:group]` of the image to own the file instead of root. */
  readonly owner?: string;
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const VARIABLE = /^[A-Z_][A-Z0-9_]*$/;
const MODE = /^0[0-7]{3}$/;
const OWNER = /^[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?$/;
const DIR = /^\/[A-Za-z0-9._/-]*$/;

function validate(dir: string, files: readonly FileToWrite[]): void {
  const problems: string[] = [];
  if (!DIR.test(dir) || dir === "/") problems.push(`dir must be an absolute path other than / of letters, digits and ._/- (got ${JSON.stringify(dir)})`);
  if (files.length === 0) problems.push("there must be a file to write");
  if (files.filter((file) => file.from === "stdin").length > 1) problems.push("only one file can come from stdin");
  const names = new Set<string>();
  for (const file of files) {
    if (!NAME.test(file.name)) problems.push(`file name ${JSON.stringify(file.name)} must be letters, digits and ._- not starting with . or -`);
    if (names.has(file.name)) problems.push(`file ${file.name} is listed twice`);
    names.add(file.name);
    if (!MODE.test(file.mode)) problems.push(`mode of ${file.name} must be octal such as 0644 (got ${JSON.stringify(file.mode)})`);
    if (file.from !== "stdin" && !VARIABLE.test(file.from.variable)) problems.push(`variable of ${file.name} must be an environment variable name (got ${JSON.stringify(file.from.variable)})`);
    if (file.owner !== undefined && !OWNER.test(file.owner)) problems.push(`owner of ${file.name} must be user[:group] (got ${JSON.stringify(file.owner)})`);
  }
  if (problems.length > 0) throw new Error(`renderFilesWriterScript: ${problems.join("; ")}`);
}

/**
 * Each file is written beside the one it replaces and renamed over it, so a process reading
 * the old one (the running service, until it is replaced) keeps a whole copy; the mode and
 * owner are set before the rename. Files the list no longer names are removed. Runs as root
 * with nothing but CAP_CHOWN (for an owner): root owns the directory.
 */
export function renderFilesWriterScript(dir: string, files: readonly FileToWrite[]): string {
  validate(dir, files);
  const writes = files.map((file) => {
    const put = `put '${file.name}' ${file.mode} '${file.owner ?? ""}'`;
    return file.from === "stdin" ? `${put}` : `printf '%s' "$${file.from.variable}" | ${put}`;
  });
  const kept = files.map((file) => `'${file.name}'`).join("|");
  return `set -eu
umask 077
cd '${dir}'
put() {
  cat > ".$1.new"
  chmod "$2" ".$1.new"
  if [ -n "$3" ]; then chown "$3" ".$1.new"; fi
  mv -f ".$1.new" "$1"
}
${writes.join("\n")}
for entry in * .[!.]* ..?*; do
  case "$entry" in
    ${kept}) ;;
    *) rm -rf -- "$entry" ;;
  esac
done
`;
}
