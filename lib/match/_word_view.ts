/**
 * A 32-bit view of the whole buffer under a scan's bytes, made once per buffer and kept: the
 * extractor and the matcher read text a word at a time through it.
 *
 * @module
 */

/** Keeps the 32-bit view of the last buffer asked for. */
export class WordView {
  #buffer: ArrayBufferLike = new ArrayBuffer(0);
  #words: Int32Array = new Int32Array(0);

  /**
   * The 32-bit view of the whole buffer under `bytes` (its first `byteLength >> 2` words): the
   * same view as last time when the buffer is the same, so that scanning many buffers of 64 bytes
   * or more allocates one view for each (reuse a buffer, or scan chunks).
   *
   * @param bytes Bytes of the buffer.
   * @returns The view.
   */
  of(bytes: Uint8Array): Int32Array {
    const buffer = bytes.buffer;
    if (buffer !== this.#buffer || this.#words.length !== buffer.byteLength >> 2) {
      this.#buffer = buffer;
      this.#words = new Int32Array(buffer, 0, buffer.byteLength >> 2);
    }
    return this.#words;
  }
}
