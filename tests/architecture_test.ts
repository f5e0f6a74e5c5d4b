/**
 * Enforces docs/ARCHITECTURE.md: layers point one way, no folder reaches into another's private
 * files, lib/ imports only relative paths, only lib/runtime/ refers to `Deno`, lib/ throws no
 * plain Error, and the CLI uses entry points.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../", import.meta.url);

/** Which lib/ folders each lib/ folder may import from. */
const MAY_IMPORT: Record<string, string[]> = {
  core: [],
  pattern: ["core"],
  format: ["core", "pattern"],
  db: ["core", "pattern", "format"],
  bpf: ["core"],
  pcap: ["core", "bpf"],
  dpi: ["core", "pcap"],
  ether: ["core", "format", "db"],
  match: ["core", "pattern", "format", "db", "pcap", "dpi"],
  testing: ["core", "pattern", "format", "db", "bpf", "pcap", "dpi"],
  runtime: ["core", "pattern", "format", "db", "bpf", "pcap", "dpi", "ether"],
};

/** Every .ts file under a directory (relative to the project root). */
function tsFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(new URL(rel, ROOT))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) walk(path);
      else if (e.name.endsWith(".ts")) out.push(path);
    }
  };
  walk(dir);
  return out.sort();
}

/** What can stand before a `/` that starts a regular expression literal. */
const REGEX_BEFORE =
  /(?:^|[(,=:[!&|?{};+\-*%<>~^]|\b(?:return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await))\s*$/;

/** Source text without comments (string contents are kept, lines keep their numbers). */
function stripComments(src: string): string {
  let out = "";
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c === '"' || c === "'" || c === "`") {
      const start = i;
      for (i++; i < src.length && src[i] !== c; i++) if (src[i] === "\\") i++;
      out += src.slice(start, i + 1);
    } else if (c === "/" && src[i + 1] === "*") {
      const end = src.indexOf("*/", i + 2);
      const stop = end < 0 ? src.length : end + 2;
      out += " " + src.slice(i, stop).replace(/[^\n]/g, "");
      i = stop - 1;
    } else if (c === "/" && src[i + 1] === "/") {
      const end = src.indexOf("\n", i);
      i = end < 0 ? src.length : end - 1;
    } else if (c === "/" && REGEX_BEFORE.test(out.slice(-20))) {
      // a regular expression literal: copy it whole
      const start = i;
      let inClass = false;
      for (i++; i < src.length && src[i] !== "\n"; i++) {
        if (src[i] === "\\") i++;
        else if (src[i] === "[") inClass = true;
        else if (src[i] === "]") inClass = false;
        else if (src[i] === "/" && !inClass) break;
      }
      out += src.slice(start, i + 1);
    } else {
      out += c;
    }
  }
  return out;
}

/** The module specifiers a file imports or re-exports (static and dynamic). */
function importsOf(src: string): string[] {
  const code = stripComments(src);
  const specs: string[] = [];
  const re =
    /(?:\bimport|\bexport)\s[^"'`;]*?\bfrom\s*["']([^"']+)["']|\bimport\s*["']([^"']+)["']|\bimport\(\s*["']([^"']+)["']\s*\)/g;
  for (const m of code.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

/** Resolves a relative specifier against a file, giving a path relative to the root. */
function resolve(file: string, spec: string): string {
  return new URL(spec, new URL(file, ROOT)).pathname.slice(ROOT.pathname.length);
}

const LIB = tsFiles("lib");

Deno.test("lib/ folders import only from the layers below them, never private files", () => {
  const problems: string[] = [];
  for (const file of LIB) {
    const from = file.split("/")[1];
    assert.ok(from in MAY_IMPORT, `${file}: folder lib/${from}/ is not in docs/ARCHITECTURE.md`);
    for (const spec of importsOf(Deno.readTextFileSync(new URL(file, ROOT)))) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(file, spec);
      if (!target.startsWith("lib/")) {
        if (target !== "deno.json") problems.push(`${file} imports ${target} outside lib/`);
        continue;
      }
      const to = target.split("/")[1];
      if (to === from) continue;
      if (!MAY_IMPORT[from].includes(to)) {
        problems.push(`${file} imports ${target}: lib/${from} may not depend on lib/${to}`);
      }
      if (target.split("/").at(-1)!.startsWith("_")) {
        problems.push(`${file} imports ${target}, a file private to lib/${to}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("lib/ and mod.ts import only relative paths", () => {
  const problems: string[] = [];
  for (const file of [...LIB, "mod.ts"]) {
    for (const spec of importsOf(Deno.readTextFileSync(new URL(file, ROOT)))) {
      if (!spec.startsWith("./") && !spec.startsWith("../")) {
        problems.push(`${file} imports "${spec}"`);
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("only lib/runtime/ refers to the Deno global", () => {
  const problems: string[] = [];
  for (const file of LIB) {
    if (file.startsWith("lib/runtime/")) continue;
    const code = stripComments(Deno.readTextFileSync(new URL(file, ROOT)));
    if (/\bDeno\s*\./.test(code)) problems.push(file);
  }
  assert.deepEqual(problems, []);
});

Deno.test("lib/ throws no plain Error", () => {
  const problems: string[] = [];
  for (const file of LIB) {
    const code = stripComments(Deno.readTextFileSync(new URL(file, ROOT)));
    const count = [...code.matchAll(/\bnew Error\(/g)].length;
    if (count > 0) problems.push(`${file} (${count})`);
  }
  assert.deepEqual(problems, []);
});

/** The names an `import { … }` or `export { … }` clause lists (`type` marks and renames undone). */
function clauseNames(clause: string): string[] {
  return clause.split(",").map((n) => n.trim().replace(/^type\s+/, "").split(/\s+as\s+/)[0])
    .filter((n) => n !== "");
}

/** What a folder's mod.ts re-exports, by the module it re-exports from (resolved paths). */
function reExports(mod: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  const code = stripComments(Deno.readTextFileSync(new URL(mod, ROOT)));
  for (const m of code.matchAll(/\bexport\s+(?:type\s+)?\{([^}]*)\}\s*from\s*["']([^"']+)["']/g)) {
    const from = resolve(mod, m[2]);
    const names = out.get(from) ?? new Set<string>();
    for (const n of clauseNames(m[1])) names.add(n);
    out.set(from, names);
  }
  return out;
}

// The CLI uses the library's public API only: a folder's entry point, or — to load less at
// start-up (`mxy match` needs neither the capture matcher nor the capture readers, which load
// lib/pcap, lib/dpi and lib/bpf) — the module an entry point re-exports a name from, for names it
// re-exports from there.
Deno.test("cli/ imports lib/ only through entry points, or names they re-export", () => {
  const problems: string[] = [];
  for (const file of tsFiles("cli")) {
    const code = stripComments(Deno.readTextFileSync(new URL(file, ROOT)));
    for (const spec of importsOf(code)) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(file, spec);
      if (!target.startsWith("lib/") || /^lib\/[a-z_]+\/mod\.ts$/.test(target)) continue;
      const mod = `lib/${target.split("/")[1]}/mod.ts`;
      const allowed = reExports(mod).get(target);
      if (allowed === undefined) {
        problems.push(`${file} imports ${target}, which ${mod} does not re-export from`);
        continue;
      }
      const quoted = spec.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      const clause = new RegExp(
        `\\bimport\\s+(?:type\\s+)?\\{([^}]*)\\}\\s*from\\s*["']${quoted}["']`,
      );
      const m = clause.exec(code);
      if (m === null) {
        problems.push(`${file} imports ${target} other than by names (import { … } from)`);
        continue;
      }
      for (const name of clauseNames(m[1])) {
        if (!allowed.has(name)) {
          problems.push(`${file} imports ${name} from ${target}: not in ${mod}`);
        }
      }
    }
  }
  assert.deepEqual(problems, []);
});

Deno.test("every entry point in deno.json exists and every lib/ folder but core has one", () => {
  const config = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT)));
  const exports = config.exports as Record<string, string>;
  for (const [name, path] of Object.entries(exports)) {
    assert.ok(Deno.statSync(new URL(path, ROOT)).isFile, `${name} → ${path} is missing`);
  }
  const targets = new Set(Object.values(exports).map((p) => p.replace(/^\.\//, "")));
  for (const dir of Deno.readDirSync(new URL("lib", ROOT))) {
    if (!dir.isDirectory || ["core", "format", "pattern"].includes(dir.name)) continue;
    assert.ok(targets.has(`lib/${dir.name}/mod.ts`), `lib/${dir.name}/ has no entry point`);
  }
});

Deno.test("stripComments() and importsOf() see imports in code only", () => {
  const src = [
    `/** @example`,
    ` * import { x } from "./hidden.ts";`,
    ` */`,
    `import { a } from "./a.ts"; // import { b } from "./b.ts"`,
    `export * from "../c/mod.ts";`,
    `const re = /"\\/\\//; const s = "// not a comment";`,
    `function f(v) { return /[",]/.test(v) ? '"' : v; } // "`,
    `const m = await import("./lazy.ts");`,
    `import type {`,
    `  T,`,
    `} from "./types.ts";`,
  ].join("\n");
  assert.deepEqual(importsOf(src), ["./a.ts", "../c/mod.ts", "./lazy.ts", "./types.ts"]);
});

Deno.test("clauseNames() and reExports() read what an entry point re-exports", () => {
  assert.deepEqual(clauseNames(" type A, B as C,\n D "), ["A", "B", "D"]);
  const match = reExports("lib/match/mod.ts");
  assert.ok(match.get("lib/match/stream_matcher.ts")?.has("StreamMatcher"));
  assert.ok(match.get("lib/match/matcher.ts")?.has("MatcherOptions"));
  assert.equal(match.get("lib/match/_span_lookup.ts"), undefined);
});
