/**
 * Zero-copy typed-array views of little-endian tables inside a section, with a copying
 * fallback for unaligned buffers or big-endian hosts.
 *
 * @module
 */
import { FormatError } from "./format_error.ts";
import type { SectionParts } from "./section_parts.ts";

/** Whether this host is little-endian (typed arrays use host order). */
export const LITTLE_ENDIAN: boolean = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

function check(bytes: Uint8Array, at: number, size: number, what: string, base: number): void {
  if (at < 0 || size < 0 || at + size > bytes.length || !Number.isSafeInteger(at + size)) {
    throw new FormatError(
      "bad-section",
      `Section table "${what}" (${size} bytes at ${at}) leaves the section of ${bytes.length} bytes`,
      base + at,
    );
  }
}

// A typed array type of little-endian words: its two constructors and its word size.
interface WordArrayType<T> {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

// `count` words of `Type` at byte `at`: a view when the host is little-endian and the words
// are aligned, else a host-order copy.
function wordView<T>(
  Type: WordArrayType<T>,
  bytes: Uint8Array,
  at: number,
  count: number,
  what: string,
  base: number,
): T {
  const size = Type.BYTES_PER_ELEMENT;
  check(bytes, at, count * size, what, base);
  const abs = bytes.byteOffset + at;
  if (LITTLE_ENDIAN && abs % size === 0) return new Type(bytes.buffer, abs, count);
  const copy = bytes.slice(at, at + count * size);
  if (!LITTLE_ENDIAN) {
    for (let i = 0; i < copy.length; i += size) copy.subarray(i, i + size).reverse();
  }
  return new Type(copy.buffer, 0, count);
}

/**
 * A `Uint32Array` view of `count` little-endian words at byte `at` of `bytes`.
 *
 * @param bytes The section bytes.
 * @param at Byte offset in the section.
 * @param count Number of words.
 * @param what Table name for errors.
 * @param base File offset of the section, for errors.
 * @returns The view (or a converted copy when a view is not possible).
 */
export function u32View(
  bytes: Uint8Array,
  at: number,
  count: number,
  what: string,
  base: number,
): Uint32Array {
  return wordView(Uint32Array, bytes, at, count, what, base);
}

/**
 * An `Int32Array` view of `count` little-endian words at byte `at` of `bytes`.
 *
 * @param bytes The section bytes.
 * @param at Byte offset in the section.
 * @param count Number of words.
 * @param what Table name for errors.
 * @param base File offset of the section, for errors.
 * @returns The view (or a converted copy when a view is not possible).
 */
export function i32View(
  bytes: Uint8Array,
  at: number,
  count: number,
  what: string,
  base: number,
): Int32Array {
  return wordView(Int32Array, bytes, at, count, what, base);
}

/**
 * A `Uint16Array` view of `count` little-endian 16-bit words at byte `at` of `bytes`.
 *
 * @param bytes The section bytes.
 * @param at Byte offset in the section.
 * @param count Number of 16-bit words.
 * @param what Table name for errors.
 * @param base File offset of the section, for errors.
 * @returns The view (or a converted copy when a view is not possible).
 */
export function u16View(
  bytes: Uint8Array,
  at: number,
  count: number,
  what: string,
  base: number,
): Uint16Array {
  return wordView(Uint16Array, bytes, at, count, what, base);
}

/**
 * A `Uint8Array` view of `count` bytes at `at`.
 *
 * @param bytes The section bytes.
 * @param at Byte offset in the section.
 * @param count Number of bytes.
 * @param what Table name for errors.
 * @param base File offset of the section, for errors.
 * @returns The view.
 */
export function u8View(
  bytes: Uint8Array,
  at: number,
  count: number,
  what: string,
  base: number,
): Uint8Array {
  check(bytes, at, count, what, base);
  return bytes.subarray(at, at + count);
}

/**
 * Writes little-endian tables into one 8-byte-aligned buffer (build side).
 */
export class SectionWriter {
  #parts: Uint8Array[] = [];
  #size = 0;

  /** Bytes written so far. */
  get size(): number {
    return this.#size;
  }

  #pad(): void {
    const pad = (8 - (this.#size % 8)) % 8;
    if (pad > 0) {
      this.#parts.push(new Uint8Array(pad));
      this.#size += pad;
    }
  }

  /**
   * Appends raw bytes at an 8-byte-aligned offset.
   *
   * @param b The bytes.
   * @returns Their offset.
   */
  bytes(b: Uint8Array): number {
    this.#pad();
    const at = this.#size;
    this.#parts.push(b);
    this.#size += b.length;
    return at;
  }

  /**
   * Appends 32-bit words (little-endian) at an 8-byte-aligned offset.
   *
   * @param a The words.
   * @returns Their offset.
   */
  u32(a: Uint32Array | Int32Array): number {
    if (LITTLE_ENDIAN) return this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const b = new Uint8Array(a.length * 4);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < a.length; i++) dv.setUint32(i * 4, a[i] >>> 0, true);
    return this.bytes(b);
  }

  /**
   * Appends 16-bit words (little-endian) at an 8-byte-aligned offset.
   *
   * @param a The words.
   * @returns Their offset.
   */
  u16(a: Uint16Array): number {
    if (LITTLE_ENDIAN) return this.bytes(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    const b = new Uint8Array(a.length * 2);
    const dv = new DataView(b.buffer);
    for (let i = 0; i < a.length; i++) dv.setUint16(i * 2, a[i], true);
    return this.bytes(b);
  }

  /**
   * Pads to a multiple of 8 and returns the section as parts, to be written straight into a
   * larger buffer (no concatenated copy).
   *
   * @returns The length and a writer of the section bytes.
   */
  parts(): SectionParts {
    this.#pad();
    const parts = this.#parts;
    return {
      length: this.#size,
      writeTo(target: Uint8Array, at: number): void {
        for (const p of parts) {
          target.set(p, at);
          at += p.length;
        }
      },
    };
  }

  /**
   * Concatenates everything, padded to a multiple of 8.
   *
   * @returns The section bytes.
   */
  finish(): Uint8Array {
    const parts = this.parts();
    const out = new Uint8Array(parts.length);
    parts.writeTo(out, 0);
    return out;
  }
}
