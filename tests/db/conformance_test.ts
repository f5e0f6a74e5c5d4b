/**
 * Reader conformance: every network of every good MaxMind DB test file, compared with python's
 * maxminddb (pure-python reader) and spot-checked against `mmdblookup`.
 */
import assert from "node:assert/strict";
import {
  Database,
  formatNetwork,
  type IpResult,
  iterateNetworks,
  type MmdbValue,
  parseCidr,
} from "../../lib/db/mod.ts";
import { fixture, hasProgram } from "../_fixtures.ts";
import { hasPythonMaxminddb } from "./_peers.ts";
import { openDatabase } from "../../lib/runtime/mod.ts";

const DIR = fixture("mmdb/test-data");
const BROKEN = /Broken|Invalid|broken/;
const PYTHON = "/usr/bin/python3";
const DUMP = new URL("./_mmdb_dump.py", import.meta.url).pathname;

type Typed = [string, unknown];
interface Leaf {
  net: string;
  q: string;
  plen: number;
  ptr: number;
  q4?: string;
  plen4?: number;
}
interface Dump {
  nodeCount: number;
  ipVersion: number;
  leaves: Leaf[];
  data: Record<string, Typed>;
}

/** `ipLookup(db, )` for an IP query, narrowed to the IP result. */
function ipLookup(db: Database, query: string): IpResult | null {
  const r = db.lookup(query);
  if (r !== null && r.kind !== "ip") throw new Error(`${query} gave a ${r.kind} result`);
  return r;
}

function goodFiles(): string[] {
  if (!DIR) return [];
  return [...Deno.readDirSync(DIR)]
    .map((e) => e.name)
    .filter((n) => n.endsWith(".mmdb") && !BROKEN.test(n))
    .sort();
}

/** Compares one of our values with python's typed dump; returns a path to the first mismatch. */
function diff(ours: MmdbValue, theirs: Typed, path = "$"): string | null {
  const [type, v] = theirs;
  switch (type) {
    case "bool":
      return ours === v ? null : `${path}: ${String(ours)} != ${String(v)}`;
    case "int": {
      const want = BigInt(v as string);
      if (typeof ours === "bigint") return ours === want ? null : `${path}: ${ours} != ${want}`;
      if (typeof ours === "number" && Number.isInteger(ours) && BigInt(ours) === want) return null;
      return `${path}: ${String(ours)} != int ${want}`;
    }
    case "float": {
      const buf = new DataView(new ArrayBuffer(8));
      const hex = v as string;
      for (let i = 0; i < 8; i++) buf.setUint8(i, parseInt(hex.slice(i * 2, i * 2 + 2), 16));
      const want = buf.getFloat64(0);
      return typeof ours === "number" && Object.is(ours, want)
        ? null
        : `${path}: ${String(ours)} != float ${want}`;
    }
    case "str":
      return ours === v ? null : `${path}: ${JSON.stringify(ours)} != ${JSON.stringify(v)}`;
    case "bytes": {
      if (!(ours instanceof Uint8Array)) return `${path}: not bytes`;
      const hex = Array.from(ours, (b) => b.toString(16).padStart(2, "0")).join("");
      return hex === v ? null : `${path}: bytes ${hex} != ${v}`;
    }
    case "list": {
      const items = v as Typed[];
      if (!Array.isArray(ours) || ours.length !== items.length) return `${path}: array length`;
      for (let i = 0; i < items.length; i++) {
        const d = diff(ours[i], items[i], `${path}[${i}]`);
        if (d) return d;
      }
      return null;
    }
    case "map": {
      const entries = v as Record<string, Typed>;
      if (
        typeof ours !== "object" || ours === null || Array.isArray(ours) ||
        ours instanceof Uint8Array
      ) {
        return `${path}: not a map`;
      }
      const keys = Object.keys(ours).sort();
      const want = Object.keys(entries).sort();
      if (keys.join("\u0000") !== want.join("\u0000")) return `${path}: keys ${keys} != ${want}`;
      for (const k of want) {
        const d = diff((ours as Record<string, MmdbValue>)[k], entries[k], `${path}.${k}`);
        if (d) return d;
      }
      return null;
    }
  }
  return `${path}: unknown type ${type}`;
}

const files = goodFiles();
const canPython = files.length > 0 && hasPythonMaxminddb();

Deno.test({
  name: "Database reads every network of every MaxMind test database as python maxminddb does",
  ignore: !canPython,
  fn: async (t) => {
    for (const name of files) {
      await t.step(name, async () => {
        const path = `${DIR}/${name}`;
        const out = await new Deno.Command(PYTHON, { args: [DUMP, path] }).output();
        assert.ok(out.success, new TextDecoder().decode(out.stderr));
        const dump: Dump = JSON.parse(new TextDecoder().decode(out.stdout));
        const db = Database.fromBytes(await Deno.readFile(path));
        assert.equal(db.metadata.nodeCount, dump.nodeCount);
        assert.ok(dump.leaves.length > 0, "python found no network");
        const base = db.metadata.nodeCount + 16;
        for (const leaf of dump.leaves) {
          const offset = db.lookupIpOffset(leaf.q);
          assert.equal(offset, leaf.ptr - base, `offset for ${leaf.q}`);
          assert.equal(db.lastPrefixLength, leaf.plen, `prefix for ${leaf.q}`);
          const hit = ipLookup(db, leaf.q);
          assert.equal(hit?.network, canonical(leaf.net), `network for ${leaf.q}`);
          const d = diff(hit!.data, dump.data[String(leaf.ptr)]);
          assert.equal(d, null, `${name} ${leaf.q}: ${d}`);
          if (leaf.q4 !== undefined) {
            assert.equal(db.lookupIpOffset(leaf.q4), leaf.ptr - base, `offset for ${leaf.q4}`);
            assert.equal(db.lastPrefixLength, leaf.plen4, `prefix for ${leaf.q4}`);
            assert.equal(ipLookup(db, leaf.q4)?.network, `${leaf.q4}/${leaf.plen4}`);
          }
        }
        // Our tree walk finds exactly the networks python's does.
        const ours = [...iterateNetworks(db, { includeAliases: true, ipv4Notation: false })]
          .map((n) => n.network).sort();
        assert.deepEqual(ours, dump.leaves.map((l) => canonical(l.net)).sort());
      });
    }
  },
});

/** A network as mxy writes it (python < 3.13 writes IPv4-mapped IPv6 without a dotted tail). */
function canonical(network: string): string {
  const n = parseCidr(network);
  return formatNetwork(n.bytes, n.prefixLength);
}

/** Parses `mmdblookup` output into a typed tree: [type, text] leaves. */
function parseMmdblookup(text: string): unknown {
  const lines = text.split("\n").map((l) => l.trim()).filter((l) => l.length > 0);
  let i = 0;
  function value(): unknown {
    const line = lines[i++];
    if (line === "{") {
      const obj: Record<string, unknown> = {};
      while (lines[i] !== "}") {
        const key = lines[i++].match(/^"(.*)":$/);
        assert.ok(key, `bad key line ${lines[i - 1]}`);
        obj[key[1]] = value();
      }
      i++;
      return obj;
    }
    if (line === "[") {
      const arr: unknown[] = [];
      while (lines[i] !== "]") arr.push(value());
      i++;
      return arr;
    }
    const m = line.match(/^(?:(.*) )?<([a-z0-9_]+)>$/);
    assert.ok(m, `bad value line ${line}`);
    return { type: m[2], text: m[1] ?? "" };
  }
  return value();
}

function matchesMmdblookup(ours: MmdbValue, theirs: unknown, path = "$"): string | null {
  if (Array.isArray(theirs)) {
    if (!Array.isArray(ours) || ours.length !== theirs.length) return `${path}: array`;
    for (let i = 0; i < theirs.length; i++) {
      const d = matchesMmdblookup(ours[i], theirs[i], `${path}[${i}]`);
      if (d) return d;
    }
    return null;
  }
  const leaf = theirs as { type?: string; text?: string };
  if (
    typeof leaf.type === "string" && typeof leaf.text === "string" && Object.keys(leaf).length === 2
  ) {
    const { type, text } = leaf as { type: string; text: string };
    let ok: boolean;
    switch (type) {
      case "utf8_string":
        ok = ours === text.slice(1, -1);
        break;
      case "uint16":
      case "uint32":
      case "int32":
      case "uint64":
      case "uint128":
        ok = (typeof ours === "number" || typeof ours === "bigint") &&
          BigInt(ours) === BigInt(text);
        break;
      case "double":
      case "float":
        ok = typeof ours === "number" && ours.toFixed(6) === text;
        break;
      case "boolean":
        ok = String(ours) === text;
        break;
      case "bytes":
        ok = ours instanceof Uint8Array &&
          Array.from(ours, (b) => b.toString(16).padStart(2, "0")).join("").toUpperCase() === text;
        break;
      default:
        return `${path}: unknown mmdblookup type ${type}`;
    }
    return ok ? null : `${path}: ${String(ours)} != ${text} <${type}>`;
  }
  const obj = theirs as Record<string, unknown>;
  if (typeof ours !== "object" || ours === null || Array.isArray(ours)) return `${path}: map`;
  const keys = Object.keys(ours).sort();
  if (keys.join(",") !== Object.keys(obj).sort().join(",")) return `${path}: keys differ`;
  for (const k of keys) {
    const d = matchesMmdblookup((ours as Record<string, MmdbValue>)[k], obj[k], `${path}.${k}`);
    if (d) return d;
  }
  return null;
}

Deno.test({
  name: "Database answers as mmdblookup does on a sample of addresses from every test database",
  ignore: files.length === 0 || !hasProgram("mmdblookup"),
  fn: async () => {
    let checked = 0;
    for (const name of files) {
      const path = `${DIR}/${name}`;
      const db = await openDatabase(path);
      const nets = [...iterateNetworks(db)];
      // First, last and a middle network, plus one address that is in no network.
      const picks = [nets[0], nets[nets.length >> 1], nets[nets.length - 1]];
      for (const n of picks) {
        const ip = n.network.split("/")[0];
        const out = await new Deno.Command("mmdblookup", { args: ["--file", path, "--ip", ip] })
          .output();
        assert.ok(out.success, `mmdblookup failed on ${name} ${ip}`);
        const theirs = parseMmdblookup(new TextDecoder().decode(out.stdout));
        const hit = ipLookup(db, ip);
        assert.ok(hit, `${name}: no match for ${ip}`);
        assert.equal(matchesMmdblookup(hit.data, theirs), null, `${name} ${ip}`);
        checked++;
      }
      const miss = await new Deno.Command("mmdblookup", {
        args: ["--file", path, "--ip", "255.255.255.254"],
      }).output();
      assert.equal(
        ipLookup(db, "255.255.255.254") === null,
        !miss.success,
        `${name} 255.255.255.254`,
      );
      db.close();
    }
    assert.ok(checked >= files.length * 3);
  },
});
