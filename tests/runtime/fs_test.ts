import assert from "node:assert/strict";
import { readMaybeGzip, writeFileAtomic } from "../../lib/runtime/fs.ts";
import { mapFile } from "../../lib/runtime/mmap.ts";

Deno.test("writeFileAtomic() replaces a file and leaves no temporary file behind", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/out.bin`;
  await Deno.writeFile(path, new Uint8Array([1]));
  await writeFileAtomic(path, new Uint8Array([2, 3]));
  assert.deepEqual(await Deno.readFile(path), new Uint8Array([2, 3]));
  const names = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.deepEqual(names, ["out.bin"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("writeFileAtomic() keeps the old file when the write fails", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/missing-dir/out.bin`;
  await assert.rejects(writeFileAtomic(path, new Uint8Array([1])));
  await Deno.remove(dir, { recursive: true });
});

Deno.test("readMaybeGzip() reads plain and gzip files alike", async () => {
  const dir = await Deno.makeTempDir();
  const data = new TextEncoder().encode("hello\n".repeat(100));
  const gz = await new Response(
    new Blob([data]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  await Deno.writeFile(`${dir}/a.txt`, data);
  await Deno.writeFile(`${dir}/a.txt.gz`, gz);
  assert.deepEqual(await readMaybeGzip(`${dir}/a.txt`), data);
  assert.deepEqual(await readMaybeGzip(`${dir}/a.txt.gz`), data);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("mapFile() maps with FFI and reads without it, giving the same bytes", async () => {
  const path = await Deno.makeTempFile();
  const data = crypto.getRandomValues(new Uint8Array(10000));
  await Deno.writeFile(path, data);
  const mapped = await mapFile(path, { mode: "mmap" });
  assert.equal(mapped.mode, "mmap");
  assert.deepEqual(mapped.bytes, data);
  const read = await mapFile(path, { mode: "read" });
  assert.equal(read.mode, "read");
  assert.deepEqual(read.bytes, data);
  await Deno.remove(path);
});
