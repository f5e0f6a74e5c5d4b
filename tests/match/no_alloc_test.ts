/**
 * The extractor's hot path allocates nothing: scanning megabytes of access log, whole or line by
 * line, runs no garbage collection (counted from `--trace-gc` in a child process) and leaves the
 * heap where it was.
 */
import assert from "node:assert/strict";

async function gcEvents(
  mode: string,
): Promise<{ events: number; heapGrowth: number; spans: number }> {
  const child = new URL("./_gc_child.ts", import.meta.url).pathname;
  // stdbuf: V8 prints its trace through C stdio, which a pipe would buffer past the markers; a
  // small young generation makes even a few allocated bytes per line show as scavenges
  const out = await new Deno.Command("stdbuf", {
    args: [
      "-oL",
      Deno.execPath(),
      "run",
      "--allow-read",
      "--v8-flags=--trace-gc,--expose-gc,--max-semi-space-size=1",
      child,
      mode,
      "4",
      "3",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  const lines = new TextDecoder().decode(out.stdout).split("\n");
  const start = lines.findIndex((l) => l.includes("MXY-GC-START"));
  const end = lines.findIndex((l) => l.includes("MXY-GC-END"));
  assert.ok(out.success && start >= 0 && end > start, `the child failed (${mode})`);
  const events =
    lines.slice(start, end + 1).filter((l) =>
      /Scavenge|Mark-Compact|Mark-Sweep|MinorMS|Minor Mark/i.test(l)
    ).length;
  const summary = JSON.parse(lines.find((l) => l.startsWith('{"mode"'))!);
  return { events, heapGrowth: summary.heapGrowth, spans: summary.spans };
}

for (const mode of ["chunk", "line"]) {
  Deno.test(`scan() runs no garbage collection over 12 MB of access log (${mode} by ${mode})`, async () => {
    const { events, heapGrowth, spans } = await gcEvents(mode);
    assert.ok(spans > 100_000, `only ${spans} spans: the loop did not run`);
    assert.equal(events, 0, "GC events while scanning");
    // a few constant kilobytes (the markers, code); one object per line would be megabytes
    assert.ok(heapGrowth < 256 * 1024, `the heap grew by ${heapGrowth} bytes`);
  });
}
