import assert from "node:assert/strict";
import { watchDirectory } from "../../lib/runtime/mod.ts";

function names(dir: string): string[] {
  return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
}

Deno.test("watchDirectory() processes existing captures oldest first and renames them", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/a.pcap`, new Uint8Array([1]));
  await Deno.writeFile(`${dir}/b.pcapng`, new Uint8Array([2]));
  await Deno.writeFile(`${dir}/c.pcap.gz`, new Uint8Array([3]));
  await Deno.writeFile(`${dir}/notes.txt`, new Uint8Array([4]));
  await Deno.utime(`${dir}/a.pcap`, 3000, 3000);
  await Deno.utime(`${dir}/b.pcapng`, 1000, 1000);
  await Deno.utime(`${dir}/c.pcap.gz`, 2000, 2000);
  const order: string[] = [];
  const r = await watchDirectory(dir, {
    onFile: (p) => {
      order.push(p.slice(dir.length + 1));
    },
    once: true,
    stableMs: 0,
    pollMs: 5,
  });
  assert.deepEqual(order, ["b.pcapng", "c.pcap.gz", "a.pcap"]);
  assert.equal(r.processed.length, 3);
  assert.deepEqual(names(dir), [
    "a.pcap.processed",
    "b.pcapng.processed",
    "c.pcap.gz.processed",
    "notes.txt",
  ]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("watchDirectory() waits until a growing file has stopped growing", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/live.pcap`;
  const file = await Deno.open(path, { write: true, create: true });
  const sizes: number[] = [];
  const abort = new AbortController();
  const watching = watchDirectory(dir, {
    onFile: async (p) => {
      sizes.push((await Deno.stat(p)).size);
      abort.abort();
    },
    signal: abort.signal,
    stableMs: 1000,
    pollMs: 10,
  });
  for (let i = 0; i < 6; i++) {
    await file.write(new Uint8Array(100));
    await new Promise((r) => setTimeout(r, 50));
  }
  file.close();
  const r = await watching;
  assert.deepEqual(sizes, [600]);
  assert.deepEqual(r.processed, [path]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("watchDirectory() renames a file it cannot process to NAME.failed and goes on", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/bad.pcap`, new Uint8Array([1]));
  await Deno.writeFile(`${dir}/good.pcap`, new Uint8Array([2]));
  await Deno.utime(`${dir}/bad.pcap`, 1000, 1000);
  const errors: string[] = [];
  const r = await watchDirectory(dir, {
    onFile: (p) => {
      if (p.endsWith("bad.pcap")) throw new Error("Damaged capture");
    },
    onError: (p, e) => errors.push(`${p.slice(dir.length + 1)}: ${(e as Error).message}`),
    once: true,
    stableMs: 0,
    pollMs: 5,
  });
  assert.deepEqual(errors, ["bad.pcap: Damaged capture"]);
  assert.equal(r.failed.length, 1);
  assert.deepEqual(names(dir), ["bad.pcap.failed", "good.pcap.processed"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("watchDirectory() stopped during a file finishes that file and starts no other", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/1.pcap`, new Uint8Array([1]));
  await Deno.writeFile(`${dir}/2.pcap`, new Uint8Array([2]));
  await Deno.utime(`${dir}/1.pcap`, 1000, 1000);
  await Deno.utime(`${dir}/2.pcap`, 2000, 2000);
  const abort = new AbortController();
  const done: string[] = [];
  await watchDirectory(dir, {
    onFile: async (p) => {
      abort.abort(); // as SIGTERM would, in the middle of the file
      await new Promise((r) => setTimeout(r, 20));
      done.push(p.slice(dir.length + 1));
    },
    signal: abort.signal,
    stableMs: 0,
    pollMs: 5,
  });
  assert.deepEqual(done, ["1.pcap"]);
  assert.deepEqual(names(dir), ["1.pcap.processed", "2.pcap"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("watchDirectory() refuses a path that is not a directory or does not exist", async () => {
  const file = await Deno.makeTempFile();
  await assert.rejects(
    watchDirectory(file, { onFile: () => {}, once: true }),
    Deno.errors.NotADirectory,
    "it is not a directory",
  );
  await assert.rejects(
    watchDirectory(`${file}.missing`, { onFile: () => {}, once: true }),
    Deno.errors.NotFound,
    "it does not exist",
  );
  await Deno.remove(file);
});

Deno.test("watchDirectory() with concurrency processes several files at once, renaming each when done", async () => {
  const dir = await Deno.makeTempDir();
  for (const n of [1, 2, 3, 4]) await Deno.writeFile(`${dir}/${n}.pcap`, new Uint8Array([n]));
  let running = 0, most = 0;
  const r = await watchDirectory(dir, {
    onFile: async () => {
      most = Math.max(most, ++running);
      await new Promise((done) => setTimeout(done, 30));
      running--;
    },
    concurrency: 2,
    once: true,
    stableMs: 0,
    pollMs: 5,
  });
  assert.equal(most, 2);
  assert.equal(r.processed.length, 4);
  assert.deepEqual(names(dir), [
    "1.pcap.processed",
    "2.pcap.processed",
    "3.pcap.processed",
    "4.pcap.processed",
  ]);
  await Deno.remove(dir, { recursive: true });
});
