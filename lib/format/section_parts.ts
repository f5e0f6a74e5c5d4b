/**
 * An extension section's bytes as the builder places them in the file.
 *
 * @module
 */

/**
 * A section's bytes as parts: its length and how to write them into a buffer (so a large
 * section is written straight into the file, with no concatenated copy).
 */
export interface SectionParts {
  /** The section's length in bytes (a multiple of 8). */
  readonly length: number;
  /**
   * Writes the section's bytes, padding included, at `at` of `target`.
   *
   * @param target The file being written.
   * @param at Where the section starts in it.
   */
  writeTo(target: Uint8Array, at: number): void;
}
