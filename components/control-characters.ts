/**
 * C0 control characters (NUL to US) and DEL: never part of a path, a host name or a command
 * argument written in config. NUL cannot even pass through exec(2); a newline splits a shell
 * line or a log entry.
 */
export function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}
