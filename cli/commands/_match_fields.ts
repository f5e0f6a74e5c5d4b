/**
 * Structured input for `mxy match`: which bytes of a line are in the fields asked for —
 * `--json-field PATH` on JSON Lines, `--csv-column NAME` on CSV and on Zeek TSV logs (whose
 * `#fields` header names the columns). A hit counts only when its span lies inside one of them.
 * Lines are parsed only when they have a hit, once per line.
 *
 * @module
 */

/** Which fields of a line to keep. */
export interface FieldSelection {
  /** JSON paths (dot-separated keys, `a.b`): a value at the path or inside it counts. */
  jsonPaths?: string[];
  /** Column indexes (from 0) of a delimited line. */
  columns?: number[];
  /** The column separator (`,` for CSV, a tab for Zeek). */
  separator?: number;
  /** Lines starting with `#` hold nothing (Zeek headers). */
  skipComments?: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Keeps the field ranges of the last line parsed. */
export class FieldFilter {
  #sel: FieldSelection;
  #lineStart = -1;
  #ranges: number[] = [];

  /** @param selection What to keep. */
  constructor(selection: FieldSelection) {
    this.#sel = selection;
  }

  /**
   * Whether `bytes[start..end)` lies inside a selected field of the line `bytes[ls..le)`.
   *
   * @param bytes The chunk.
   * @param ls The line's start.
   * @param le The line's end.
   * @param start The span's start.
   * @param end The span's end.
   * @param key The line's offset in the file (which line was parsed last).
   * @returns True when the span counts.
   */
  keeps(
    bytes: Uint8Array,
    ls: number,
    le: number,
    start: number,
    end: number,
    key: number,
  ): boolean {
    if (this.#sel.skipComments && bytes[ls] === 0x23) return false;
    if (!this.#sel.jsonPaths && !this.#sel.columns) return true;
    if (key !== this.#lineStart) {
      this.#lineStart = key;
      this.#ranges = [];
      if (this.#sel.jsonPaths) this.#json(bytes, ls, le);
      else if (this.#sel.columns) this.#delimited(bytes, ls, le);
    }
    const r = this.#ranges;
    for (let i = 0; i < r.length; i += 2) if (start >= r[i] && end <= r[i + 1]) return true;
    return false;
  }

  #delimited(bytes: Uint8Array, ls: number, le: number): void {
    const sep = this.#sel.separator ?? 0x2c;
    const want = this.#sel.columns!;
    let col = 0, i = ls;
    while (i <= le) {
      const fs = i;
      if (sep === 0x2c && bytes[i] === QUOTE) {
        i++;
        while (i < le) {
          if (bytes[i] === QUOTE) {
            if (bytes[i + 1] === QUOTE) i += 2;
            else break;
          } else i++;
        }
        i++;
      }
      while (i < le && bytes[i] !== sep) i++;
      if (want.includes(col)) this.#ranges.push(fs, i);
      col++;
      i++;
    }
  }

  // A small JSON reader over bytes: records the byte range of every value whose path is
  // selected (or lies under a selected path).
  #json(bytes: Uint8Array, ls: number, le: number): void {
    const paths = this.#sel.jsonPaths!;
    const ranges = this.#ranges;
    let i = ls;
    const ws = () => {
      while (i < le && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0d)) i++;
    };
    const str = (): number => {
      // at a quote; returns the end (after the closing quote)
      i++;
      while (i < le && bytes[i] !== QUOTE) i += bytes[i] === BACKSLASH ? 2 : 1;
      return ++i;
    };
    const selected = (path: string) =>
      paths.some((p) => path === p || path.startsWith(p + ".") || path.startsWith(p + "["));
    const value = (path: string, depth: number): void => {
      ws();
      const vs = i;
      if (depth > 64 || i >= le) {
        i = le;
        return;
      }
      const c = bytes[i];
      if (c === 0x7b) {
        i++;
        for (;;) {
          ws();
          if (i >= le || bytes[i] === 0x7d) {
            i++;
            break;
          }
          if (bytes[i] !== QUOTE) {
            i = le;
            return;
          }
          const ks = i + 1;
          const ke = str() - 1;
          const key = new TextDecoder().decode(bytes.subarray(ks, ke));
          ws();
          if (bytes[i] === 0x3a) i++;
          value(path === "" ? key : `${path}.${key}`, depth + 1);
          ws();
          if (bytes[i] === 0x2c) i++;
        }
      } else if (c === 0x5b) {
        i++;
        for (let k = 0;; k++) {
          ws();
          if (i >= le || bytes[i] === 0x5d) {
            i++;
            break;
          }
          value(`${path}[${k}]`, depth + 1);
          ws();
          if (bytes[i] === 0x2c) i++;
        }
      } else if (c === QUOTE) {
        str();
      } else {
        while (
          i < le && bytes[i] !== 0x2c && bytes[i] !== 0x7d && bytes[i] !== 0x5d &&
          bytes[i] !== 0x20
        ) i++;
      }
      if (path !== "" && selected(path) && !selected(parentOf(path))) ranges.push(vs, i);
    };
    value("", 0);
  }
}

function parentOf(path: string): string {
  const d = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
  return d < 0 ? "" : path.slice(0, d);
}

/**
 * Reads a Zeek TSV header (`#separator`, `#fields`) from the start of a file.
 *
 * @param head The first bytes of the file.
 * @returns The column names, or `null` when the file is not a Zeek log.
 */
export function zeekFields(head: Uint8Array): string[] | null {
  const text = new TextDecoder().decode(head);
  if (!text.startsWith("#separator")) return null;
  for (const line of text.split("\n")) {
    if (line.startsWith("#fields\t")) return line.slice(8).split("\t");
    if (!line.startsWith("#")) break;
  }
  return null;
}

/**
 * The column names of a CSV header line (quotes removed).
 *
 * @param head The first bytes of the file.
 * @returns The names.
 */
export function csvHeader(head: Uint8Array): string[] {
  const text = new TextDecoder().decode(head);
  const nl = text.indexOf("\n");
  const line = (nl < 0 ? text : text.slice(0, nl)).replace(/\r$/, "");
  const out: string[] = [];
  let cur = "", quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      out.push(cur);
      cur = "";
    } else cur += c;
  }
  out.push(cur);
  return out;
}
