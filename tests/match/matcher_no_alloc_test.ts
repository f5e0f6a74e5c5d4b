/**
 * The matcher's hot path allocates nothing: a StreamMatcher scanning megabytes of access log
 * against a database (address, literal, glob and parent-domain lookups, line numbers for every
 * hit) runs no garbage collection, counted from `--trace-gc` in a child process
 * (tests/match/_gc_child.ts, mode "matcher").
 */
import assert from "node:assert/strict";

Deno.test("the matcher runs no garbage collection over 12 MB of access log", async () => {
  const child = new URL("./_gc_child.ts", import.meta.url).pathname;
  const out = await new Deno.Command("stdbuf", {
    args: [
      "-oL",
      Deno.execPath(),
      "run",
      "--allow-read",
      "--v8-flags=--trace-gc,--expose-gc,--max-semi-space-size=1",
      child,
      "matcher",
      "4",
      "3",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const start = lines.findIndex((l) => l.includes("MXY-GC-START"));
  const end = lines.findIndex((l) => l.includes("MXY-GC-END"));
  assert.ok(out.success && start >= 0 && end > start, "the child failed");
  const events = lines.slice(start, end + 1).filter((l) =>
    /Scavenge|Mark-Compact|Mark-Sweep|MinorMS|Minor Mark/i.test(l)
  );
  const summary = JSON.parse(lines.find((l) => l.startsWith('{"mode"'))!);
  assert.ok(summary.spans > 10_000, `only ${summary.spans} hits: the loop did not run`);
  assert.deepEqual(events, [], "GC events while matching");
  // With a 1 MiB semi-space, no scavenge already bounds young allocation; the old-space bound
  // allows for optimised code and feedback the compiler adds late (~280 KiB seen once in CI).
  assert.ok(summary.heapGrowth < 1024 * 1024, `the heap grew by ${summary.heapGrowth} bytes`);
});
