/**
 * Buffered exact-length reads from a byte stream, shared by the Ether server and client.
 *
 * @module
 */
import type { EtherByteStream } from "./byte_stream.ts";

/**
 * Reads exact byte counts from a stream through one reusable buffer: `readExact(24)` gives a
 * header as a view that stays valid until the next read.
 */
export class FrameReader {
  #stream: EtherByteStream;
  #buf: Uint8Array;
  #start = 0;
  #end = 0;
  /** Called whenever bytes arrive (for activity tracking). */
  onData: (() => void) | null = null;

  #direct: number;

  /**
   * @param stream The stream to read.
   * @param size Buffer size. Default 64 KiB.
   * @param direct Reads longer than this that are not buffered yet go straight into a fresh
   *   array (worth it when the caller keeps the bytes). Default: the buffer size.
   */
  constructor(stream: EtherByteStream, size = 64 * 1024, direct = size) {
    this.#stream = stream;
    this.#buf = new Uint8Array(size);
    this.#direct = Math.min(direct, size);
  }

  /**
   * Bytes already buffered.
   *
   * @returns The count.
   */
  get buffered(): number {
    return this.#end - this.#start;
  }

  async #fill(): Promise<boolean> {
    if (this.#end === this.#buf.length) {
      if (this.#start === 0) return true;
      this.#buf.copyWithin(0, this.#start, this.#end);
      this.#end -= this.#start;
      this.#start = 0;
    }
    const n = await this.#stream.read(this.#buf.subarray(this.#end));
    if (n === null || n === 0) return false;
    this.#end += n;
    this.onData?.();
    return true;
  }

  /**
   * Reads exactly `n` bytes.
   *
   * @param n The count.
   * @returns A view on the bytes (valid until the next call), or `null` at end of stream; when
   *   the stream ended part-way, {@linkcode FrameReader.buffered} tells how many bytes came.
   */
  async readExact(n: number): Promise<Uint8Array | null> {
    if (n <= this.#direct || n <= this.#end - this.#start) {
      if (this.#start + n > this.#buf.length) {
        this.#buf.copyWithin(0, this.#start, this.#end);
        this.#end -= this.#start;
        this.#start = 0;
      }
      while (this.#end - this.#start < n) {
        if (!(await this.#fill())) return null;
      }
      const out = this.#buf.subarray(this.#start, this.#start + n);
      this.#start += n;
      if (this.#start === this.#end) this.#start = this.#end = 0;
      return out;
    }
    const out = new Uint8Array(n);
    let got = this.#end - this.#start;
    out.set(this.#buf.subarray(this.#start, this.#end));
    this.#start = this.#end = 0;
    while (got < n) {
      const r = await this.#stream.read(out.subarray(got));
      if (r === null || r === 0) {
        // keep the partial count visible to the caller
        this.#end = Math.min(got, this.#buf.length);
        return null;
      }
      got += r;
      this.onData?.();
    }
    return out;
  }

  /**
   * Whether a view returned by {@linkcode FrameReader.readExact} is a fresh array (not a view on
   * the reusable buffer), so it may be kept without copying.
   *
   * @param view A result of `readExact`.
   * @returns `true` when it does not share the reader's buffer.
   */
  owns(view: Uint8Array): boolean {
    return view.buffer !== this.#buf.buffer;
  }

  /**
   * Reads and discards exactly `n` bytes.
   *
   * @param n The count.
   * @returns `false` when the stream ended first.
   */
  async skip(n: number): Promise<boolean> {
    let left = n;
    while (left > 0) {
      const have = this.#end - this.#start;
      if (have === 0) {
        this.#start = this.#end = 0;
        if (!(await this.#fill())) return false;
        continue;
      }
      const take = Math.min(have, left);
      this.#start += take;
      left -= take;
    }
    if (this.#start === this.#end) this.#start = this.#end = 0;
    return true;
  }
}
