/**
 * Child process of database_test.ts (run with --v8-flags=--expose-gc): maps a database, keeps
 * a view of its bytes, closes it, collects garbage, and prints whether the view still holds
 * the file's bytes.
 */
import { openDatabase } from "../../lib/runtime/mod.ts";

const path = Deno.args[0];
const db = await openDatabase(path, { mmap: true });
const mode = db.mapMode;
const view = db.bytes;
db.close();
for (let i = 0; i < 5; i++) {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((r) => setTimeout(r, 10));
}
const file = await Deno.readFile(path);
let same = view.length === file.length;
for (let i = 0; same && i < file.length; i++) if (view[i] !== file[i]) same = false;
console.log(JSON.stringify({ mode, same, gc: typeof (globalThis as { gc?: unknown }).gc }));
