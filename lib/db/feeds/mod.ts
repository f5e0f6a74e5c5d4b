/**
 * Feed readers for the database builder: CSV, JSON, JSON Lines and plain text, each producing
 * {@linkcode FeedRecord}s with the file and line of every entry. The folder's internal face;
 * `@mxy/mxy/db` re-exports what a user calls.
 *
 * @module
 */
export type { FeedRecord } from "./feed_record.ts";
export {
  decodeFeedText,
  FEED_FORMATS,
  type FeedFormat,
  feedFormatOf,
  parseFeed,
  type ParseFeedOptions,
  sniffFeedFormat,
} from "./feed.ts";
export { parseFeedStream, type ParseFeedStreamOptions } from "./feed_stream.ts";
