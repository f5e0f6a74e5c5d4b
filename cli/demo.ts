/**
 * `deno task demo [DIR]`: runs the real commands on the sample IOC feed in `testdata/`, showing
 * each command line before its output: `mxy build`, `mxy query` (IP, literal and glob matches)
 * and `mxy match` (a log scanned for the indicators). The database stays in DIR (default: a new
 * temporary directory) for the user to explore.
 *
 * @module
 */
import { main } from "./main.ts";
import { args, exit, writeSync } from "./_io.ts";

const ROOT = new URL("../", import.meta.url).pathname;
const FEED = "testdata/ioc_sample.csv";

const QUERIES = [
  "198.51.100.23", // a host inside a listed /24: the most specific entry wins
  "198.51.100.200", // the /24 itself, split around the /32 (see below)
  "203.0.113.77",
  "::ffff:203.0.113.5", // IPv4-mapped IPv6 finds the IPv4 entry
  "2001:db8:bad:1::25",
  "login-verify.example", // literal entry
  "host42.dyn.bad.example", // glob entry
  "8.8.8.8", // not listed
];

const LOG = [
  '198.51.100.23 - - [02/Nov/2026:10:00:01 +0000] "GET /gate.php HTTP/1.1" 200 512',
  '192.168.1.20 - - [02/Nov/2026:10:00:02 +0000] "GET /login HTTP/1.1" 302 0 ' +
  '"https://login-verify.example/account" "Mozilla/5.0"',
  '10.66.4.2 - - [02/Nov/2026:10:00:03 +0000] "POST /upload?from=203.0.113.77 HTTP/1.1" 201 0',
  '8.8.8.8 - - [02/Nov/2026:10:00:04 +0000] "GET / HTTP/1.1" 200 1024',
].join("\n") + "\n";

/** Prints a command line as typed, then runs it. */
async function run(words: string[]): Promise<number> {
  const shown = words.map((w) => (/^[\w@%+=:,./-]+$/.test(w) ? w : `'${w}'`)).join(" ");
  writeSync("stdout", `\n$ mxy ${shown}\n`);
  return await main(words);
}

function say(text: string): void {
  writeSync("stdout", `\n${text}\n`);
}

async function demo(dirArg: string | undefined): Promise<number> {
  // DIR is the user's (relative to where they are); the commands shown run from the repo root.
  const dir = dirArg === undefined
    ? await Deno.makeTempDir({ prefix: "mxy-demo-" })
    : dirArg.startsWith("/")
    ? dirArg
    : `${Deno.cwd()}/${dirArg}`;
  Deno.chdir(ROOT);
  await Deno.mkdir(dir, { recursive: true });
  const db = `${dir}/iocs.mxy`;
  const log = `${dir}/access.log`;
  await Deno.writeTextFile(log, LOG);
  say(`Building a database from the sample feed ${FEED}, then querying it and scanning a log.`);
  if (await run(["build", FEED, "-o", db]) !== 0) return 1;
  if (await run(["query", db, ...QUERIES, "--format", "table"]) !== 0) return 1;
  say(
    "198.51.100.200 came back as 198.51.100.128/25 although the feed lists 198.51.100.0/24:\n" +
      "the feed also lists 198.51.100.23, a more specific network inside that /24. The search\n" +
      "tree keeps the most specific network for every address, so the /24 is split around the\n" +
      "/32 into the networks that cover the rest (198.51.100.0/28 ... 198.51.100.128/25), each\n" +
      "with the /24's data. --explain says so for any query:",
  );
  if (await run(["query", db, "198.51.100.200", "--explain", "--format", "jsonl"]) !== 0) {
    return 1;
  }
  say("Scanning a web log for the database's indicators (IP addresses, domains, URLs ...):");
  if (await run(["match", db, log, "--format", "text"]) !== 0) return 1;
  say(
    `The database stays in ${dir} for you to explore, for instance:\n` +
      `  mxy inspect ${db}\n` +
      `  mxy query ${db} 203.0.113.9 --explain --format table\n` +
      `  mxy query ${db} 198.51.100.23 --field threat\n` +
      `  mxy export ${db}`,
  );
  return 0;
}

if (import.meta.main) exit(await demo(args()[0]));
