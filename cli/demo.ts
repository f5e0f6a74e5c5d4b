/**
 * `deno task demo`: builds a database from the sample feed in `testdata/` and queries it.
 *
 * @module
 */
import { writeSync } from "../lib/runtime/mod.ts";

writeSync("stdout", "The demo arrives with the database builder.\n");
