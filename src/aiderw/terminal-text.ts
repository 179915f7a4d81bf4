/**
 * Terminal output → plain lines, for parsing only (what the user sees is never altered).
 * aider under a pty writes colours (rich), cursor moves and prompt redraws
 * (prompt_toolkit); these are stripped, and a line rewritten with `\r` keeps its last text.
 */

const E = "\\x1b";
/** CSI, OSC (ended by BEL or ST), DCS/SOS/PM/APC strings, two-byte escapes (`ESC =`, `ESC 7` …), charset picks. */
const ANSI = new RegExp(
  [
    `${E}\\[[0-?]*[ -/]*[@-~]`,
    `${E}\\][^\\x07${E}]*(?:\\x07|${E}\\\\)`,
    `${E}[PX^_][^${E}]*${E}\\\\`,
    `${E}[@-_=>78c]`,
    `${E}[()][0-9A-Za-z]`,
  ].join("|"),
  "g",
);
/** Other C0 controls and DEL, except \t \n \r. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: stripping control characters
const CONTROLS = /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/g;

/** `s` without ANSI/VT escape sequences and stray control characters (keeps `\t \n \r`). */
export function stripAnsi(s: string): string {
  return s.replace(ANSI, "").replace(CONTROLS, "");
}

/** A line as displayed: `abc\rxy` shows `xy` + the rest of what it overwrote; kept simple. */
function settle(line: string): string {
  if (!line.includes("\r")) return line;
  const parts = line.split("\r").filter((p) => p.length > 0);
  return parts[parts.length - 1] ?? "";
}

/**
 * Splits a byte stream into complete plain lines. Feed it chunks as they arrive; `tail()`
 * is the unfinished last line (a prompt waiting for input, for example).
 */
export class LineSplitter {
  private partial = "";

  /**
   * Complete lines in `chunk` (and what was pending), ANSI-free, `\r\n` or `\n` ended.
   * Escapes are stripped per whole line, so one split across two chunks is still removed.
   */
  push(chunk: string): string[] {
    const pieces = (this.partial + chunk).split("\n");
    this.partial = pieces.pop() ?? "";
    if (this.partial.length > 64 * 1024) {
      // A runaway line (a progress bar without newlines): parse what we have.
      pieces.push(this.partial);
      this.partial = "";
    }
    return pieces.map((p) => settle(stripAnsi(p)));
  }

  /** The unfinished line, as displayed. */
  tail(): string {
    return settle(stripAnsi(this.partial));
  }

  /** Ends the stream: the unfinished line, if any, as a last line. */
  end(): string[] {
    const rest = this.partial;
    this.partial = "";
    return rest ? [settle(stripAnsi(rest))] : [];
  }
}
