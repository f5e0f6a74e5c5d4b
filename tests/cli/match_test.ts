/**
 * `mxy match` as a user runs it: output formats, grep-like modes and exit codes, standard input
 * and gzip (a cut-short gzip file prints its hits, then fails naming the file and offset), a file
 * that is not a database, the same output whatever --threads, directories, structured input
 * (JSON Lines fields, CSV columns, Zeek logs), binary input, and --follow through rotation with
 * SIGINT printing the statistics.
 */
import assert from "node:assert/strict";
import { DatabaseBuilder } from "../../lib/db/mod.ts";
import { ROOT, runMxy } from "../_mxy.ts";

const dir = await Deno.makeTempDir({ prefix: "mxy-match-" });
const DB = `${dir}/iocs.mxy`;
{
  const b = new DatabaseBuilder({ buildEpoch: 1 });
  b.add("198.51.100.0/24", { threat: "scanner" });
  b.add("evil.com", { threat: "c2" });
  b.add("mail.com", { threat: "spam" });
  b.add("glob:*.tracker.net", { threat: "tracking" });
  await Deno.writeFile(DB, b.build());
}
const LOG = `${dir}/access.log`;
await Deno.writeTextFile(
  LOG,
  [
    '198.51.100.7 - - "GET /?u=https://www.EVIL.com/x HTTP/1.1" 200',
    "10.0.0.1 gmail.com hotmail.com",
    "a.tracker.net and evil.com, twice: evil.com",
  ].join("\n") + "\n",
);
const LINE3 = 94; // where line 3 starts
const CLEAN = `${dir}/clean.log`;
await Deno.writeTextFile(CLEAN, "nothing here\ngmail.com 10.1.1.1\n");

Deno.test("mxy match prints one JSON record per hit and exits 0", async () => {
  const r = await runMxy(["match", DB, LOG, "--parent-domains"]);
  assert.equal(r.code, 0, r.stderr);
  const recs = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.deepEqual(recs.map((x) => [x.line, x.offset, x.text, x.kind, x.match, x.entry]), [
    [1, 0, "198.51.100.7", "ipv4", "network", "198.51.100.0/24"],
    [1, 34, "www.EVIL.com", "domain", "parent-domain", "evil.com"],
    [3, LINE3, "a.tracker.net", "domain", "glob", "*.tracker.net"],
    [3, LINE3 + 18, "evil.com", "domain", "literal", "evil.com"],
    [3, LINE3 + 35, "evil.com", "domain", "literal", "evil.com"],
  ]);
  assert.equal(recs[0].file, LOG);
  assert.deepEqual(recs[0].data, { threat: "scanner" });
});

Deno.test("mxy match: text, csv, --only-matching, --count, --files-with-matches; exit 1 on no hit, 2 on usage errors", async () => {
  const text = await runMxy(["match", DB, LOG, "--format", "text", "--extract", "domain"]);
  assert.equal(
    text.stdout,
    `${LOG}:3:${LINE3}: a.tracker.net domain glob *.tracker.net\n` +
      `${LOG}:3:${LINE3 + 18}: evil.com domain literal evil.com\n` +
      `${LOG}:3:${LINE3 + 35}: evil.com domain literal evil.com\n`,
  );
  const csv = await runMxy(["match", DB, LOG, "--format", "csv", "--extract=-domain"]);
  assert.equal(
    csv.stdout,
    "file,line,offset,text,kind,match,entry,data\n" +
      `${LOG},1,0,198.51.100.7,ipv4,network,198.51.100.0/24,"{""threat"":""scanner""}"\n`,
  );
  const only = await runMxy(["match", DB, LOG, CLEAN, "-o"]);
  assert.equal(
    only.stdout,
    `${LOG}:198.51.100.7\n${LOG}:a.tracker.net\n${LOG}:evil.com\n${LOG}:evil.com\n`,
  );
  const count = await runMxy(["match", DB, LOG, CLEAN, "-c"]);
  assert.equal(count.stdout, `${LOG}:2\n${CLEAN}:0\n`);
  const files = await runMxy(["match", DB, CLEAN, LOG, "-l"]);
  assert.equal(files.stdout, `${LOG}\n`);
  const none = await runMxy(["match", DB, CLEAN]);
  assert.equal(none.code, 1);
  assert.equal(none.stdout, "");
  for (const bad of [["--format", "xml"], ["--extract", "mac"], ["--threads", "0"], ["-c", "-l"]]) {
    const u = await runMxy(["match", DB, LOG, ...bad]);
    assert.equal(u.code, 2, bad.join(" "));
  }
  assert.equal((await runMxy(["match"])).code, 2);
  assert.equal((await runMxy(["match", DB, dir])).code, 2); // a directory without -r
});

Deno.test("mxy match reads standard input and gzip; a cut-short gzip prints its hits, then fails", async () => {
  const body = new TextEncoder().encode(
    Array.from({ length: 20000 }, (_, i) => `line ${i} from 198.51.100.${i % 256} ok`).join("\n"),
  );
  const stdin = await runMxy(["match", DB, "-", "-c"], { stdin: body });
  assert.equal(stdin.stdout, "20000\n");
  const gz = new Uint8Array(
    await new Response(
      new Blob([body]).stream().pipeThrough(new CompressionStream("gzip")),
    ).arrayBuffer(),
  );
  await Deno.writeFile(`${dir}/log.gz`, gz);
  const whole = await runMxy(["match", DB, `${dir}/log.gz`, "-c"]);
  assert.equal(whole.stdout, "20000\n");
  await Deno.writeFile(`${dir}/cut.gz`, gz.subarray(0, gz.length >> 1));
  const cut = await runMxy(["match", DB, `${dir}/cut.gz`, "-o"]);
  assert.equal(cut.code, 1);
  const printed = cut.stdout.trim().split("\n").length;
  assert.ok(printed > 1000 && printed < 20000, `${printed} hits printed`);
  assert.match(
    cut.stderr,
    new RegExp(`${dir}/cut\\.gz: gzip data is cut short or corrupt after \\d+ bytes`),
  );
});

Deno.test("mxy match rejects a file that is not a database before scanning", async () => {
  await Deno.writeTextFile(`${dir}/not.mxy`, "just text\n".repeat(100));
  const r = await runMxy(["match", `${dir}/not.mxy`, LOG]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, "");
  assert.match(r.stderr, /Cannot open database ".*not\.mxy"/);
});

Deno.test("mxy match gives the same output whatever --threads, and scans directories with -r", async () => {
  const sub = `${dir}/tree/a`;
  await Deno.mkdir(sub, { recursive: true });
  const lines: string[] = [];
  for (let i = 0; i < 60000; i++) {
    lines.push(
      i % 97 === 0
        ? `${i} GET http://x${i}.tracker.net/ from 198.51.100.${i % 256} via evil.com`
        : `${i} GET /index.html?q=${i} from 10.${i % 256}.0.1 "Mozilla/5.0 Chrome/120.0.0.0"`,
    );
  }
  await Deno.writeTextFile(`${sub}/big.log`, lines.join("\n")); // ~4 MB, no final newline
  await Deno.writeTextFile(`${dir}/tree/small.log`, "evil.com\n");
  const one = await runMxy(["match", DB, "-r", `${dir}/tree`, "--threads", "1"]);
  const three = await runMxy(["match", DB, "-r", `${dir}/tree`, "--threads", "3", "--stats"]);
  assert.equal(one.code, 0);
  assert.equal(three.stdout, one.stdout);
  const recs = one.stdout.trim().split("\n").map((l) => JSON.parse(l));
  assert.equal(recs.length, 3 * Math.ceil(60000 / 97) + 1);
  assert.equal(recs.at(-1).file, `${dir}/tree/small.log`);
  assert.equal(recs.at(-2).line, 59947);
  assert.match(three.stderr, /60001 lines, \d+ bytes, 1858 hits; candidates: ipv4 60000/);
});

Deno.test("mxy match --threads: files split into many ranges, with gzip and empty files between, give the same output in every mode", async () => {
  const tree = `${dir}/tree2`;
  await Deno.mkdir(tree, { recursive: true });
  const log = (n: number, salt: number) => {
    const lines: string[] = [];
    for (let i = 0; i < n; i++) {
      lines.push(
        (i + salt) % 89 === 0
          ? `${i} GET http://x${i}.tracker.net/ from 198.51.100.${i % 256} mail.com evil.com`
          : `${i} GET /index.html?q=${i}&r=${"z".repeat(i % 300)} from 10.${i % 256}.0.1`,
      );
    }
    return lines.join("\n") + "\n";
  };
  await Deno.writeTextFile(`${tree}/a.log`, log(30000, 0)); // ~6 MB: ranges of 1 MiB
  const gz = new Blob([log(2000, 5)]).stream().pipeThrough(new CompressionStream("gzip"));
  await Deno.writeFile(`${tree}/b.log.gz`, gz);
  await Deno.writeTextFile(`${tree}/c.log`, "");
  await Deno.writeTextFile(`${tree}/d.log`, log(12000, 7).slice(0, -1)); // no final newline
  for (const mode of [[], ["-c"], ["-l"]]) {
    const one = await runMxy(["match", DB, "-r", tree, "--threads", "1", ...mode]);
    const two = await runMxy(["match", DB, "-r", tree, "--threads", "2", ...mode]);
    assert.equal(one.code, 0, one.stderr);
    assert.equal(two.stderr, "");
    assert.equal(two.stdout, one.stdout, `mode ${mode.join(" ")}`);
  }
});

Deno.test("mxy match: --json-field, --csv-column and Zeek logs keep hits in the fields asked for", async () => {
  await Deno.writeTextFile(
    `${dir}/eve.json`,
    '{"src":"198.51.100.1","dns":{"rrname":"evil.com"},"note":"evil.com"}\n' +
      '{"src":"10.0.0.1","dns":{"rrname":"a.tracker.net","x":["mail.com"]}}\n',
  );
  const json = await runMxy(["match", DB, `${dir}/eve.json`, "--json-field", "dns", "-o"]);
  assert.equal(json.stdout, "evil.com\na.tracker.net\nmail.com\n");
  const src = await runMxy(["match", DB, `${dir}/eve.json`, "--json-field", "src", "-o"]);
  assert.equal(src.stdout, "198.51.100.1\n");
  await Deno.writeTextFile(
    `${dir}/flows.csv`,
    'src,"dst host",note\n198.51.100.2,evil.com,"mail.com, evil.com"\n',
  );
  const csv = await runMxy(["match", DB, `${dir}/flows.csv`, "--csv-column", "dst host", "-o"]);
  assert.equal(csv.stdout, "evil.com\n");
  await Deno.writeTextFile(
    `${dir}/dns.log`,
    "#separator \\x09\n#fields\tts\tid.orig_h\tquery\n#types\ttime\taddr\tstring\n" +
      "1.0\t198.51.100.3\tevil.com\n#close\tevil.com\n",
  );
  const zeek = await runMxy(["match", DB, `${dir}/dns.log`, "--csv-column", "query", "-o"]);
  assert.equal(zeek.stdout, "evil.com\n");
  const zeekAll = await runMxy(["match", DB, `${dir}/dns.log`, "-o"]);
  assert.equal(zeekAll.stdout, "198.51.100.3\nevil.com\n");
  const missing = await runMxy(["match", DB, `${dir}/flows.csv`, "--csv-column", "nope"]);
  assert.equal(missing.code, 2);
});

Deno.test("mxy match scans binary, NUL bytes and invalid UTF-8 as bytes", async () => {
  const bin = new Uint8Array(200_000);
  for (let i = 0; i < bin.length; i++) bin[i] = (i * 2654435761) >>> 24;
  bin.set(new TextEncoder().encode("\u0000evil.com\u0000"), 100_000);
  bin.set([0xff, 0xfe, 0x20], 100_011);
  bin.set([0x20, 0xff, ...new TextEncoder().encode("198.51.100.9\n")], 150_000);
  await Deno.writeFile(`${dir}/bin.dat`, bin);
  const r = await runMxy(["match", DB, `${dir}/bin.dat`, "-o"]);
  assert.equal(r.code, 0, r.stderr);
  assert.ok(r.stdout.split("\n").includes("evil.com"), r.stdout);
  assert.ok(r.stdout.split("\n").includes("198.51.100.9"), r.stdout);
});

Deno.test("mxy match --follow reads appended lines, survives rotation and prints statistics on SIGINT", async () => {
  const path = `${dir}/follow.log`;
  await Deno.writeTextFile(path, "start evil.com\n");
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}cli/main.ts`, "match", DB, path, "--follow", "-o", "--stats"],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const waitFor = async (want: string) => {
    while (!seen.includes(want)) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stdout ended before "${want}": ${seen}`);
      seen += value;
    }
  };
  await waitFor("evil.com\n");
  await Deno.writeTextFile(path, "then 198.51.100.4\n", { append: true });
  await waitFor("198.51.100.4\n");
  await Deno.rename(path, `${path}.1`);
  await Deno.writeTextFile(path, "rotated x.tracker.net\n");
  await waitFor("x.tracker.net\n");
  child.kill("SIGINT");
  const status = await child.status;
  const stderr = await new Response(child.stderr).text();
  reader.releaseLock();
  await child.stdout.cancel().catch(() => {});
  assert.equal(seen, "evil.com\n198.51.100.4\nx.tracker.net\n");
  assert.equal(status.code, 130);
  assert.match(stderr, /interrupted; so far: .*3 hits/);
});

Deno.test("mxy match finds the sample feed's .example names and addresses in text (testdata/ioc_sample.csv)", async () => {
  const db = `${dir}/sample.mxy`;
  const built = await runMxy(["build", `${ROOT}testdata/ioc_sample.csv`, "-o", db]);
  assert.equal(built.code, 0, built.stderr);
  const log = `${dir}/sample.log`;
  await Deno.writeTextFile(
    log,
    "GET http://login-verify.example/reset from 203.0.113.77 via x.dyn.bad.example\n" +
      "login-verify.example.com and bad.example are other names\n",
  );
  const r = await runMxy(["match", db, log, "--format", "text"]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    `${log}:1:11: login-verify.example domain literal login-verify.example\n` +
      `${log}:1:43: 203.0.113.77 ipv4 network 203.0.113.77/32\n` +
      `${log}:1:60: x.dyn.bad.example domain glob *.dyn.bad.example\n`,
  );
});
