/**
 * A glob section (layout in ./glob_section.ts) viewed in place for queries: the pattern rows,
 * programs and the three candidate indexes as typed-array views of the section bytes, checked
 * once before the first query.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import { i32View, u16View, u32View, u8View } from "./_section_view.ts";
import {
  AhoCorasick,
  type AhoCorasickTables,
  decodeUtf8,
  EDGE_WORDS,
  NODE_WORDS,
  OP_ANY,
  OP_SET,
  PROGRAM_HEADER_WORDS,
  PROGRAM_MIN_LENGTH,
  PROGRAM_SEGMENTS,
  SEGMENT_CODE_POINTS,
  SEGMENT_HEADER_WORDS,
  SEGMENT_OPS,
  SET_HEADER_WORDS,
  SET_RANGE_COUNT,
  verifyAutomaton,
} from "../pattern/mod.ts";
import * as layout from "./glob_section.ts";

// Module-local copies of the row layout for the per-candidate reads (V8 folds these even when
// a reader is inlined into a caller in another module).
const ROW_WORDS = layout.ROW_WORDS;
const ROW_TEXT_AT = layout.ROW_TEXT_AT;
const ROW_TEXT_LENGTH = layout.ROW_TEXT_LENGTH;
const ROW_PROGRAM_AT = layout.ROW_PROGRAM_AT;
const ROW_PROGRAM_LENGTH = layout.ROW_PROGRAM_LENGTH;
const ROW_DATA_OFFSET = layout.ROW_DATA_OFFSET;
const ROW_SPECIFICITY = layout.ROW_SPECIFICITY;

/** Options for {@linkcode GlobIndex}. */
export interface GlobIndexOptions {
  /** The section's absolute offset in the file, for error messages. Default 0. */
  fileOffset?: number;
}

/**
 * A glob section viewed in place: pattern rows, programs and the automaton, all typed-array
 * views of the section bytes (copied only on big-endian hosts or unaligned buffers).
 */
export class GlobIndex {
  #rows: Uint32Array;
  #texts: Uint8Array;
  #base: number;
  // The three indexes' tables (infix, prefix, suffix), for verify().
  #tables: AhoCorasickTables[];
  /** The program words of every pattern. */
  readonly programs: Int32Array;
  /** The automaton over the unanchored ("infix") fixed pieces. */
  readonly automaton: AhoCorasick;
  /** The trie of pieces every match starts with, walked from the query's first byte. */
  readonly prefixTrie: AhoCorasick;
  /** The trie of reversed pieces every match ends with, walked from the query's last byte. */
  readonly suffixTrie: AhoCorasick;
  /** Patterns without a fixed piece, checked against every query. */
  readonly always: Uint32Array;
  /** The number of patterns. */
  readonly count: number;
  /** Whether programs and pieces are case-folded (queries must be folded too). */
  readonly caseInsensitive: boolean;

  /**
   * @param section The section bytes (starting with the magic).
   * @param options Where the section is in the file, for errors.
   * @throws {FormatError} With code `bad-section` when the header or a table is invalid.
   */
  constructor(section: Uint8Array, options: GlobIndexOptions = {}) {
    const base = options.fileOffset ?? 0;
    this.#base = base;
    if (section.length < layout.GLOB_HEADER) {
      throw new FormatError("bad-section", "Glob section is shorter than its header", base);
    }
    const magic = layout.GLOB_MAGIC;
    for (let i = 0; i < 7; i++) {
      if (section[i] !== magic[i]) {
        throw new FormatError("bad-section", 'Glob section magic "MXYGLB" not found', base);
      }
    }
    if (section[7] !== layout.GLOB_VERSION) {
      throw new FormatError(
        "bad-section",
        `Glob section version ${section[7]} is not supported (expected ${layout.GLOB_VERSION}; ` +
          `rebuild the file with this version of mxy)`,
        base + 7,
      );
    }
    const dv = new DataView(section.buffer, section.byteOffset, layout.GLOB_HEADER);
    const u = (k: number) => dv.getUint32(k, true);
    const P = u(layout.GLOB_PATTERNS), A = u(layout.GLOB_ALWAYS);
    const W = u(layout.GLOB_PROGRAM_WORDS), T = u(layout.GLOB_TEXT_BYTES);
    this.count = P;
    this.caseInsensitive = (u(layout.GLOB_FLAGS) & layout.GLOB_CASE_INSENSITIVE) !== 0;
    this.#rows = u32View(section, u(layout.GLOB_ROWS_AT), P * ROW_WORDS, "glob patterns", base);
    this.programs = i32View(section, u(layout.GLOB_PROGRAMS_AT), W, "glob programs", base);
    this.#texts = u8View(section, u(layout.GLOB_TEXTS_AT), T, "glob texts", base);
    this.always = u32View(section, u(layout.GLOB_ALWAYS_AT), A, "glob always list", base);
    const names = ["infix automaton", "prefix trie", "suffix trie"];
    this.#tables = names.map((name, k) => {
      const at = layout.GLOB_INDEXES + layout.DESCRIPTOR * k;
      const S = u(at + layout.DESC_STATES), E = u(at + layout.DESC_EDGES);
      const O = u(at + layout.DESC_OUTPUTS), K = u(at + layout.DESC_DENSE_STATES);
      const C = u(at + layout.DESC_CLASSES);
      const flags = u(at + layout.DESC_FLAGS);
      if (S < 1 || S > 0x3fffffff) {
        throw new FormatError("bad-section", `Glob ${name} has ${S} states`, base + at);
      }
      if (K < 1 || K > S || C < 1 || C > 256) {
        throw new FormatError(
          "bad-section",
          `Glob ${name} has ${K} dense states and ${C} byte classes for ${S} states`,
          base + at + layout.DESC_DENSE_STATES,
        );
      }
      // Only the infix automaton is resolved; any index may have 16-bit entries.
      if ((flags & ~layout.DESC_DENSE16) !== (k === 0 ? layout.DESC_RESOLVED : 0)) {
        throw new FormatError(
          "bad-section",
          `Glob ${name} has flags ${flags}`,
          base + at + layout.DESC_FLAGS,
        );
      }
      const narrow = (flags & layout.DESC_DENSE16) !== 0;
      const denseAt = u(at + layout.DESC_DENSE_AT);
      const tables: AhoCorasickTables = {
        nodes: i32View(
          section,
          u(at + layout.DESC_NODES_AT),
          NODE_WORDS * S,
          `${name} states`,
          base,
        ),
        edges: i32View(
          section,
          u(at + layout.DESC_EDGES_AT),
          EDGE_WORDS * E,
          `${name} edges`,
          base,
        ),
        outStart: u32View(
          section,
          u(at + layout.DESC_OUT_START_AT),
          S + 1,
          `${name} outStart`,
          base,
        ),
        outList: u32View(section, u(at + layout.DESC_OUT_LIST_AT), O, `${name} outList`, base),
        classes: u8View(section, u(at + layout.DESC_CLASSES_AT), 256, `${name} byte classes`, base),
        classCount: C,
        denseStates: K,
        dense: narrow
          ? u16View(section, denseAt, K * C, `${name} dense rows`, base)
          : i32View(section, denseAt, K * C, `${name} dense rows`, base),
        resolved: k === 0,
      };
      return tables;
    });
    this.automaton = new AhoCorasick(this.#tables[0]);
    this.prefixTrie = new AhoCorasick(this.#tables[1]);
    this.suffixTrie = new AhoCorasick(this.#tables[2]);
  }

  /**
   * Checks every table reference (rows, automaton links, outputs, and that no pattern is indexed
   * twice) so that matching an untrusted file cannot read out of bounds or loop. The query side
   * calls this once at open: it is linear in the section size and reads only the index tables,
   * not the data.
   *
   * @throws {FormatError} With code `bad-section` naming the first bad reference.
   */
  verify(): void {
    const bad = (what: string) => {
      throw new FormatError("bad-section", `Glob section: ${what}`, this.#base);
    };
    const P = this.count, W = this.programs.length, T = this.#texts.length;
    const rows = this.#rows;
    for (let id = 0; id < P; id++) {
      const r = id * ROW_WORDS;
      if (rows[r + ROW_TEXT_AT] + rows[r + ROW_TEXT_LENGTH] > T) {
        bad(`pattern ${id} text leaves the text table`);
      }
      const po = rows[r + ROW_PROGRAM_AT], pl = rows[r + ROW_PROGRAM_LENGTH];
      if (pl < PROGRAM_HEADER_WORDS || po + pl > W) {
        bad(`pattern ${id} program leaves the program table`);
      }
      this.#verifyProgram(id, po, pl, bad);
    }
    for (const a of this.always) if (a >= P) bad(`always-check entry ${a} is not a pattern`);
    for (const tables of this.#tables) verifyAutomaton(tables, P, bad);
    // Each pattern is indexed by one piece at most (the query side relies on it).
    const where = new Uint8Array(P);
    this.prefixTrie.markKeys(where, 1, bad);
    this.suffixTrie.markKeys(where, 2, bad);
    this.automaton.markKeys(where, 3, bad);
  }

  #verifyProgram(id: number, po: number, pl: number, bad: (w: string) => never): void {
    const p = this.programs;
    const end = po + pl;
    const segments = p[po + PROGRAM_SEGMENTS];
    let at = po + PROGRAM_HEADER_WORDS;
    let total = 0;
    for (let s = 0; s < segments; s++) {
      if (at + SEGMENT_HEADER_WORDS > end) bad(`pattern ${id} program is truncated`);
      const ops = p[at + SEGMENT_OPS], cps = p[at + SEGMENT_CODE_POINTS];
      const stop = at + SEGMENT_HEADER_WORDS + ops;
      if (ops < 0 || cps < 0 || stop > end) bad(`pattern ${id} program segment is out of range`);
      let k = at + SEGMENT_HEADER_WORDS, n = 0;
      while (k < stop) {
        const op = p[k];
        if (op >= OP_ANY) k++;
        else if (op === OP_SET) {
          const nr = p[k + SET_RANGE_COUNT];
          if (nr < 0 || k + SET_HEADER_WORDS + 2 * nr > stop) {
            bad(`pattern ${id} set is out of range`);
          }
          k += SET_HEADER_WORDS + 2 * nr;
        } else bad(`pattern ${id} has an unknown op ${op}`);
        n++;
      }
      if (n !== cps) bad(`pattern ${id} segment length does not match its ops`);
      total += cps;
      at = stop;
    }
    if (at !== end || total !== p[po + PROGRAM_MIN_LENGTH]) {
      bad(`pattern ${id} program lengths are inconsistent`);
    }
  }

  /**
   * Where pattern `id`'s program starts in {@linkcode GlobIndex.programs}.
   *
   * @param id The pattern number.
   * @returns The word offset.
   */
  programStart(id: number): number {
    return this.#rows[id * ROW_WORDS + ROW_PROGRAM_AT];
  }

  /**
   * The data offset of pattern `id`.
   *
   * @param id The pattern number.
   * @returns The offset in the data section.
   */
  dataOffset(id: number): number {
    return this.#rows[id * ROW_WORDS + ROW_DATA_OFFSET];
  }

  /**
   * The specificity of pattern `id` (see `CompiledGlob.specificity`).
   *
   * @param id The pattern number.
   * @returns The score.
   */
  specificity(id: number): number {
    return this.#rows[id * ROW_WORDS + ROW_SPECIFICITY];
  }

  /**
   * The text of pattern `id`, as written in the input. Allocates the string.
   *
   * @param id The pattern number.
   * @returns The pattern.
   * @throws {FormatError} `bad-section` or `bad-utf8` when the text is out of range or is not
   *   UTF-8.
   */
  text(id: number): string {
    if (id < 0 || id >= this.count) throw new RangeError(`No glob pattern ${id}`);
    const o = this.#rows[id * ROW_WORDS + ROW_TEXT_AT];
    const len = this.#rows[id * ROW_WORDS + ROW_TEXT_LENGTH];
    if (o + len > this.#texts.length) {
      throw new FormatError("bad-section", `Glob pattern ${id} text is out of range`, this.#base);
    }
    try {
      return decodeUtf8(this.#texts.subarray(o, o + len));
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      throw new FormatError("bad-utf8", `Glob pattern ${id} text is not UTF-8`, this.#base);
    }
  }
}
