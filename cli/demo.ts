/**
 * `deno task demo`: builds a database from the sample IOC feed in `testdata/` with `mxy build`,
 * then opens it and queries a few addresses and names, printing what matched.
 *
 * @module
 */
import { main } from "./main.ts";
import { valueToJson } from "../lib/db/mod.ts";
import { openDatabase } from "../lib/runtime/mod.ts";
import { exit, writeSync } from "./_io.ts";

const FEED = new URL("../testdata/ioc_sample.csv", import.meta.url).pathname;

const QUERIES = [
  "198.51.100.23", // a host inside a listed /24: the most specific entry wins
  "198.51.100.200", // the /24 itself
  "203.0.113.77",
  "::ffff:203.0.113.5", // IPv4-mapped IPv6 finds the IPv4 entry
  "2001:db8:bad:1::25",
  "2001:db8:bad:ffff::1",
  "login-verify.example", // literal entry
  "host42.dyn.bad.example", // glob entry
  "8.8.8.8", // not listed
];

async function demo(): Promise<number> {
  const dir = await Deno.makeTempDir({ prefix: "mxy-demo-" });
  const out = `${dir}/iocs.mxy`;
  try {
    writeSync("stdout", `$ mxy build testdata/ioc_sample.csv -o ${out}\n`);
    const code = await main(["build", FEED, "-o", out]);
    if (code !== 0) return code;
    const db = await openDatabase(out);
    const m = db.metadata;
    writeSync(
      "stdout",
      `\nOpened ${out} (${m.databaseType}, IPv${m.ipVersion} tree, ${m.nodeCount} nodes, ` +
        `${m.recordSize}-bit records, ${db.mapMode === "mmap" ? "memory-mapped" : "read"})\n\n`,
    );
    let matched = 0;
    for (const q of QUERIES) {
      const r = db.lookup(q);
      if (r === null) {
        writeSync("stdout", `${q.padEnd(24)} no match\n`);
        continue;
      }
      matched++;
      if (r.kind === "ip") {
        writeSync(
          "stdout",
          `${q.padEnd(24)} ${r.network}\n${" ".repeat(25)}${valueToJson(r.data)}\n`,
        );
        continue;
      }
      // A string can match a literal and several globs: show each, best first.
      for (const [i, m] of r.matches.entries()) {
        const head = i === 0 ? q.padEnd(24) : " ".repeat(24);
        writeSync(
          "stdout",
          `${head} ${m.kind} ${m.entry}\n${" ".repeat(25)}${valueToJson(m.data)}\n`,
        );
      }
    }
    db.close();
    writeSync("stdout", `\n${matched} of ${QUERIES.length} queries matched.\n`);
    return matched > 0 ? 0 : 1;
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) exit(await demo());
