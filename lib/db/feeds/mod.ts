/**
 * Feed readers for the database builder: CSV, JSON, JSON Lines and plain text, each producing
 * {@linkcode FeedRecord}s with the file and line of every entry.
 *
 * @module
 */
export type { FeedParseOptions, FeedRecord } from "./_record.ts";
export * from "./csv.ts";
export * from "./json.ts";
export * from "./text.ts";
export * from "./read_feed.ts";
