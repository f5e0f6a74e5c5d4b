/**
 * The JSON text of a DB_QUERY reply, written straight into the reply frame under a budget: at
 * most `maxBytes` of output and `maxNodes` values visited, checked as it goes, in slices of
 * bounded time. A decoded record is a graph whose parts may be shared many times over (a record
 * pointing 100 times at an array that points 100 times at another …), so its JSON text can be
 * millions of times larger than the database; this writer stops at the budget instead.
 *
 * Output is that of `valueToJson` (`lib/format/value.ts`): `JSON.stringify` with bigints as bare
 * digits and bytes as arrays of numbers.
 *
 * @module
 */
import { EtherError } from "./ether_error.ts";

/** What the writer knows how to write: a decoded database value. */
type Node = unknown;

interface Frame {
  /** The array, object or bytes being written. */
  value: Node;
  /** Object keys (null for arrays and bytes). */
  keys: string[] | null;
  /** Next index. */
  i: number;
}

/** Values written between two looks at the clock. */
const CLOCK_EVERY = 1024;
const encoder = new TextEncoder();

/**
 * Writes one value as JSON into a growing buffer that starts with `headerRoom` bytes for the
 * reply's header. Call {@linkcode ReplyJsonWriter.step} until it returns `true`.
 */
export class ReplyJsonWriter {
  #out: Uint8Array;
  #len: number;
  #headerRoom: number;
  #maxBytes: number;
  #nodesLeft: number;
  #maxNodes: number;
  #grow: (bytes: number) => void;
  #stack: Frame[] = [];
  #root: Node;
  #started = false;
  #what: string;
  /** Whether the value was found over the budget (bytes or values) — not refused memory. */
  overBudget = false;

  /**
   * @param value The decoded value (`null` for no match).
   * @param options Budget, room for the header, a hook told before the buffer grows (it may
   *   throw to refuse), and what the reply is for (for messages).
   */
  constructor(
    value: Node,
    options: {
      maxBytes: number;
      maxNodes: number;
      headerRoom: number;
      grow?: (bytes: number) => void;
      what: string;
    },
  ) {
    this.#root = value;
    this.#headerRoom = options.headerRoom;
    this.#maxBytes = options.maxBytes;
    this.#maxNodes = this.#nodesLeft = options.maxNodes;
    this.#grow = options.grow ?? (() => {});
    this.#what = options.what;
    this.#out = new Uint8Array(options.headerRoom + 256);
    this.#grow(this.#out.length);
    this.#len = options.headerRoom;
  }

  /** Bytes of buffer held (what was counted through `grow`). */
  get capacity(): number {
    return this.#out.length;
  }

  /**
   * The frame: `headerRoom` bytes for the header, then the JSON text. Valid once
   * {@linkcode ReplyJsonWriter.step} returned `true`.
   *
   * @returns A view on the buffer.
   */
  result(): Uint8Array {
    return this.#out.subarray(0, this.#len);
  }

  /**
   * Writes until done or until `deadline` (a `performance.now()` time) has passed.
   *
   * @param deadline When to stop and let the caller yield.
   * @returns `true` once the whole value is written.
   * @throws {EtherError} `out-of-memory` when the text would exceed the budget.
   */
  step(deadline: number): boolean {
    if (!this.#started) {
      this.#started = true;
      this.#value(this.#root);
    }
    const stack = this.#stack;
    let n = 0;
    while (stack.length > 0) {
      if (++n === CLOCK_EVERY) {
        n = 0;
        if (performance.now() > deadline) return false;
      }
      const f = stack[stack.length - 1];
      if (f.keys !== null) {
        const keys = f.keys;
        if (f.i === keys.length) {
          stack.pop();
          this.#byte(0x7d); // }
          continue;
        }
        const k = keys[f.i];
        if (f.i++ > 0) this.#byte(0x2c); // ,
        this.#text(JSON.stringify(k));
        this.#byte(0x3a); // :
        this.#value((f.value as Record<string, Node>)[k]);
      } else {
        const arr = f.value as ArrayLike<Node>;
        if (f.i === arr.length) {
          stack.pop();
          this.#byte(0x5d); // ]
          continue;
        }
        if (f.i > 0) this.#byte(0x2c);
        if (arr instanceof Uint8Array) {
          this.#count(1);
          this.#text(`${arr[f.i++]}`);
        } else {
          this.#value(arr[f.i++]);
        }
      }
    }
    return true;
  }

  #count(nodes: number): void {
    this.#nodesLeft -= nodes;
    if (this.#nodesLeft < 0) {
      this.overBudget = true;
      throw new EtherError(
        "out-of-memory",
        `${this.#what}: the reply has more than ${this.#maxNodes} values (the server's limit)`,
      );
    }
  }

  /** Writes a scalar, or opens a container (pushed on the stack). */
  #value(v: Node): void {
    this.#count(1);
    switch (typeof v) {
      case "string":
        this.#text(JSON.stringify(v));
        return;
      case "number":
        this.#text(Number.isFinite(v) ? String(v) : "null");
        return;
      case "bigint":
        this.#text(v.toString());
        return;
      case "boolean":
        this.#text(v ? "true" : "false");
        return;
      case "object":
        if (v === null) {
          this.#text("null");
        } else if (Array.isArray(v) || v instanceof Uint8Array) {
          this.#byte(0x5b);
          this.#stack.push({ value: v, keys: null, i: 0 });
        } else {
          this.#byte(0x7b);
          this.#stack.push({ value: v, keys: Object.keys(v), i: 0 });
        }
        return;
      default:
        // undefined, functions, symbols: what JSON.stringify writes for them in an array
        this.#text("null");
    }
  }

  #ensure(extra: number): void {
    const need = this.#len + extra;
    if (need - this.#headerRoom > this.#maxBytes) {
      this.overBudget = true;
      throw new EtherError(
        "out-of-memory",
        `${this.#what}: the reply would be larger than ${this.#maxBytes} bytes (the payload limit)`,
      );
    }
    if (need <= this.#out.length) return;
    const size = Math.min(
      Math.max(need, this.#out.length * 2),
      this.#maxBytes + this.#headerRoom,
    );
    this.#grow(size - this.#out.length);
    const next = new Uint8Array(size);
    next.set(this.#out.subarray(0, this.#len));
    this.#out = next;
  }

  #byte(b: number): void {
    if (this.#len === this.#out.length) this.#ensure(1);
    this.#out[this.#len++] = b;
  }

  #text(s: string): void {
    const n = s.length;
    this.#ensure(n);
    const out = this.#out;
    let len = this.#len;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        // non-ASCII: let the encoder do the rest (at most 3 bytes per UTF-16 unit)
        this.#len = len;
        this.#ensure((n - i) * 3);
        const { written } = encoder.encodeInto(s.slice(i), this.#out.subarray(this.#len));
        this.#len += written;
        return;
      }
      out[len++] = c;
    }
    this.#len = len;
  }
}
