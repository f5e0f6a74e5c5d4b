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
  match: ["core"],
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

/**
 * Violations present when the rules were written, being removed by the redesign (#11). A test
 * fails on any violation not listed here, and on a listed one that is gone (remove it).
 */
const KNOWN: Record<string, string[]> = {
  "lib/ folders import only from the layers below them, never private files": [
    "lib/bpf/cbpf_filter.ts imports lib/pcap/reader.ts: lib/bpf may not depend on lib/pcap",
    "lib/bpf/cbpf_filter.ts imports lib/pcap/writer.ts: lib/bpf may not depend on lib/pcap",
    "lib/bpf/cbpf_filter.ts imports lib/runtime/process.ts: lib/bpf may not depend on lib/runtime",
    "lib/db/builder.ts imports lib/format/_section_view.ts, a file private to lib/format",
    "lib/db/database.ts imports lib/runtime/mmap.ts: lib/db may not depend on lib/runtime",
    "lib/db/feeds/read_feed.ts imports lib/runtime/fs.ts: lib/db may not depend on lib/runtime",
    "lib/db/glob.ts imports lib/format/_case_fold.ts, a file private to lib/format",
    "lib/db/pattern_sections.ts imports lib/format/_case_fold.ts, a file private to lib/format",
    "lib/db/string_match.ts imports lib/format/_case_fold.ts, a file private to lib/format",
    "lib/ether/_frame_reader.ts imports lib/runtime/net.ts: lib/ether may not depend on lib/runtime",
    "lib/ether/client.ts imports lib/runtime/net.ts: lib/ether may not depend on lib/runtime",
    "lib/ether/server.ts imports lib/runtime/net.ts: lib/ether may not depend on lib/runtime",
    "lib/ether/server.ts imports lib/runtime/fs.ts: lib/ether may not depend on lib/runtime",
    "lib/format/_piece_rarity.ts imports lib/db/glob.ts: lib/format may not depend on lib/db",
    "lib/format/glob_section.ts imports lib/db/glob.ts: lib/format may not depend on lib/db",
    "lib/format/glob_section.ts imports lib/db/aho_corasick.ts: lib/format may not depend on lib/db",
    "lib/pcap/reader.ts imports lib/runtime/mmap.ts: lib/pcap may not depend on lib/runtime",
    "lib/pcap/reader.ts imports lib/runtime/fs.ts: lib/pcap may not depend on lib/runtime",
    "lib/pcap/watch.ts imports lib/runtime/fs.ts: lib/pcap may not depend on lib/runtime",
  ],
  "lib/ throws no plain Error": [
    "lib/bpf/benchmarks.ts (1)",
    "lib/bpf/scheduler.ts (1)",
    "lib/db/builder.ts (3)",
    "lib/db/feeds/_record.ts (3)",
    "lib/db/pattern_sections.ts (1)",
    "lib/format/literal_section.ts (1)",
    "lib/pcap/reader.ts (1)",
    "lib/pcap/watch.ts (1)",
  ],
  "cli/ imports lib/ only through entry points": [
    "cli/commands/_ether_common.ts imports lib/ether/client.ts",
    "cli/commands/_ether_common.ts imports lib/ether/protocol.ts",
    "cli/commands/bpf_conformance.ts imports lib/bpf/verifier.ts",
    "cli/commands/bpf_conformance.ts imports lib/bpf/profile.ts",
    "cli/commands/bpf_run.ts imports lib/bpf/vm.ts",
    "cli/commands/bpf_run.ts imports lib/bpf/profile.ts",
    "cli/commands/bpf_run.ts imports lib/bpf/elf_loader.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/profile.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/vm.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/helpers.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/elf_loader.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/conformance.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/assembler.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/bpf_error.ts",
    "cli/commands/bpf_verify.ts imports lib/bpf/verifier.ts",
    "cli/commands/build.ts imports lib/db/builder.ts",
    "cli/commands/build.ts imports lib/db/feeds/read_feed.ts",
    "cli/commands/build.ts imports lib/runtime/fs.ts",
    "cli/commands/ether_free.ts imports lib/ether/protocol.ts",
    "cli/commands/ether_read.ts imports lib/ether/protocol.ts",
    "cli/commands/ether_write.ts imports lib/ether/protocol.ts",
    "cli/commands/export.ts imports lib/db/database.ts",
    "cli/commands/export.ts imports lib/db/export.ts",
    "cli/commands/export.ts imports lib/runtime/fs.ts",
    "cli/commands/inspect.ts imports lib/db/database.ts",
    "cli/commands/inspect.ts imports lib/db/export.ts",
    "cli/commands/inspect.ts imports lib/format/value.ts",
    "cli/commands/pcap_correlate.ts imports lib/pcap/errors.ts",
    "cli/commands/pcap_correlate.ts imports lib/pcap/correlate_capture.ts",
    "cli/commands/pcap_correlate.ts imports lib/pcap/watch.ts",
    "cli/commands/pcap_correlate.ts imports lib/pcap/reader.ts",
    "cli/commands/pcap_filter.ts imports lib/bpf/cbpf_filter.ts",
    "cli/commands/pcap_filter.ts imports lib/bpf/cbpf_text.ts",
    "cli/commands/pcap_filter.ts imports lib/bpf/cbpf.ts",
    "cli/commands/pcap_filter.ts imports lib/bpf/bpf_error.ts",
    "cli/commands/pcap_flows.ts imports lib/pcap/session_capture.ts",
    "cli/commands/pcap_flows.ts imports lib/pcap/errors.ts",
    "cli/commands/query.ts imports lib/db/database.ts",
    "cli/commands/query.ts imports lib/db/glob.ts",
    "cli/commands/query.ts imports lib/format/value.ts",
    "cli/commands/serve.ts imports lib/ether/server.ts",
    "cli/commands/serve.ts imports lib/ether/protocol.ts",
    "cli/commands/serve.ts imports lib/ether/db_engine.ts",
    "cli/commands/validate.ts imports lib/db/validate.ts",
    "cli/commands/validate.ts imports lib/format/value.ts",
    "cli/commands/validate.ts imports lib/runtime/mmap.ts",
    "cli/demo.ts imports lib/db/database.ts",
    "cli/demo.ts imports lib/format/value.ts",
  ],
};

function expectKnown(test: string, problems: string[]): void {
  const known = KNOWN[test] ?? [];
  const fresh = problems.filter((p) => !known.includes(p));
  const gone = known.filter((p) => !problems.includes(p));
  assert.deepEqual({ new: fresh, gone }, { new: [], gone: [] });
}

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
  expectKnown("lib/ folders import only from the layers below them, never private files", problems);
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
  expectKnown("lib/ and mod.ts import only relative paths", problems);
});

Deno.test("only lib/runtime/ refers to the Deno global", () => {
  const problems: string[] = [];
  for (const file of LIB) {
    if (file.startsWith("lib/runtime/")) continue;
    const code = stripComments(Deno.readTextFileSync(new URL(file, ROOT)));
    if (/\bDeno\s*\./.test(code)) problems.push(file);
  }
  expectKnown("only lib/runtime/ refers to the Deno global", problems);
});

Deno.test("lib/ throws no plain Error", () => {
  const problems: string[] = [];
  for (const file of LIB) {
    const code = stripComments(Deno.readTextFileSync(new URL(file, ROOT)));
    const count = [...code.matchAll(/\bnew Error\(/g)].length;
    if (count > 0) problems.push(`${file} (${count})`);
  }
  expectKnown("lib/ throws no plain Error", problems);
});

Deno.test("cli/ imports lib/ only through entry points", () => {
  const problems: string[] = [];
  for (const file of tsFiles("cli")) {
    for (const spec of importsOf(Deno.readTextFileSync(new URL(file, ROOT)))) {
      if (!spec.startsWith(".")) continue;
      const target = resolve(file, spec);
      if (!target.startsWith("lib/")) continue;
      if (!/^lib\/[a-z_]+\/mod\.ts$/.test(target)) problems.push(`${file} imports ${target}`);
    }
  }
  expectKnown("cli/ imports lib/ only through entry points", problems);
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
