/**
 * What every feed parser produces.
 *
 * @module
 */
import type { WritableValue } from "../../format/data_writer.ts";

/** One entry read from a feed. */
export interface FeedRecord {
  /** The entry text (IP, CIDR, or a `kind:`-prefixed entry). */
  entry: string;
  /** Its value. */
  data: WritableValue;
  /** The file it came from (`-` for standard input). */
  file: string;
  /** The 1-based line where the entry starts. */
  line: number;
}
