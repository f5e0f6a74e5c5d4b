/**
 * A smoke test of the runtime-neutral core, bundled and run under Node by tests/bundle_test.ts
 * (and imported under Deno). It imports only the package's entry points, uses no Deno API, and
 * prints one JSON line: `{ runtime, checks, failures }`.
 */
import { Database, DatabaseBuilder, MxyError, openDatabase, VERSION } from "../mod.ts";

/** What a smoke run found. */
export interface SmokeReport {
  /** `"node"` or `"deno"` (or whatever else runs it). */
  runtime: string;
  /** Checks made. */
  checks: number;
  /** Descriptions of the checks that failed. */
  failures: string[];
}

/** Runs every check; never throws. */
export async function runSmoke(): Promise<SmokeReport> {
  const g = globalThis as { Deno?: unknown; process?: { versions?: { node?: string } } };
  const report: SmokeReport = {
    runtime: g.Deno ? "deno" : g.process?.versions?.node ? "node" : "other",
    checks: 0,
    failures: [],
  };
  const check = (ok: boolean, what: string) => {
    report.checks++;
    if (!ok) report.failures.push(what);
  };
  const attempt = async (what: string, fn: () => unknown) => {
    try {
      await fn();
    } catch (err) {
      report.checks++;
      report.failures.push(`${what}: ${err instanceof Error ? err.stack : String(err)}`);
    }
  };

  await attempt("database", () => {
    const builder = new DatabaseBuilder();
    builder.add("192.0.2.0/24", { threat: "botnet" });
    builder.add("2001:db8::/32", { threat: "doc" });
    builder.add("evil.example", { threat: "phishing" });
    builder.add("*.bad.example", { threat: "glob" });
    const db = Database.fromBytes(builder.build());
    const ip = db.lookup("192.0.2.9");
    check(ip?.kind === "ip" && ip.network === "192.0.2.0/24", "IPv4 lookup");
    const mapped = db.lookup("::ffff:192.0.2.9");
    check(mapped?.kind === "ip" && mapped.network === "::ffff:192.0.2.0/120", "mapped lookup");
    check(db.lookup("2001:db8::1")?.kind === "ip", "IPv6 lookup");
    check(db.lookup("evil.example")?.kind === "string", "literal lookup");
    check(db.lookup("x.bad.example")?.kind === "string", "glob lookup");
    check(db.lookup("good.example") === null, "miss");
    db.close();
    let closed = "";
    try {
      db.lookup("192.0.2.9");
    } catch (err) {
      closed = err instanceof Error ? err.name : String(err);
    }
    check(closed !== "", "a closed database throws");
  });

  await attempt("version", () => check(/^\d+\.\d+\.\d+/.test(VERSION), "VERSION"));

  await attempt("deno adapters outside Deno", async () => {
    if (report.runtime === "deno") return;
    try {
      await openDatabase("/nonexistent.mxy");
      check(false, "openDatabase() outside Deno must throw");
    } catch (err) {
      check(err instanceof MxyError, `openDatabase() throws an MxyError, got ${String(err)}`);
      check((err as MxyError).code === "unsupported-runtime", "code unsupported-runtime");
      check(!(err instanceof ReferenceError), "not a ReferenceError");
    }
  });

  return report;
}

if (!(globalThis as { Deno?: unknown }).Deno) {
  console.log(JSON.stringify(await runSmoke()));
}
