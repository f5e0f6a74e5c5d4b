import assert from "node:assert/strict";
import {
  gunzip,
  listDir,
  openRandomAccess,
  openReadStream,
  readFile,
  readMaybeGzip,
  removeFile,
  renameFile,
  statFile,
  writeFileAtomic,
} from "../../lib/runtime/fs.ts";
import { isLoopback } from "../../lib/runtime/net.ts";
import { runCommand } from "../../lib/runtime/process.ts";
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

Deno.test("statFile(), listDir(), renameFile() and removeFile() see and change the directory", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeFile(`${dir}/b`, new Uint8Array(3));
  await Deno.mkdir(`${dir}/a`);
  assert.deepEqual(await listDir(dir), ["a", "b"]);
  const st = await statFile(`${dir}/b`);
  assert.equal(st?.size, 3);
  assert.equal(st?.isFile, true);
  assert.equal((await statFile(`${dir}/a`))?.isDirectory, true);
  assert.equal(await statFile(`${dir}/nope`), null);
  await renameFile(`${dir}/b`, `${dir}/c`);
  assert.deepEqual(await listDir(dir), ["a", "c"]);
  await removeFile(`${dir}/c`);
  await removeFile(`${dir}/c`); // a missing file is not an error
  assert.deepEqual(await listDir(dir), ["a"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("openRandomAccess() reads at any position and short at the end", async () => {
  const path = await Deno.makeTempFile();
  await Deno.writeFile(path, new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
  const f = await openRandomAccess(path);
  try {
    assert.equal(f.size, 10);
    const buf = new Uint8Array(4);
    assert.equal(await f.readAt(buf, 3), 4);
    assert.deepEqual([...buf], [3, 4, 5, 6]);
    assert.equal(await f.readAt(buf, 8), 2);
    assert.deepEqual([...buf.subarray(0, 2)], [8, 9]);
    assert.equal(await f.readAt(buf, 10), 0);
  } finally {
    f.close();
    await Deno.remove(path);
  }
});

Deno.test("openReadStream() streams a file and decompresses .gz; gunzip() inflates bytes", async () => {
  const dir = await Deno.makeTempDir();
  const data = new TextEncoder().encode("line\n".repeat(1000));
  const gz = await new Response(
    new Blob([data]).stream().pipeThrough(new CompressionStream("gzip")),
  ).bytes();
  await Deno.writeFile(`${dir}/x.txt`, data);
  await Deno.writeFile(`${dir}/x.txt.gz`, gz);
  assert.deepEqual(await new Response(await openReadStream(`${dir}/x.txt`)).bytes(), data);
  assert.deepEqual(await new Response(await openReadStream(`${dir}/x.txt.gz`)).bytes(), data);
  assert.deepEqual(await gunzip(gz), data);
  assert.deepEqual(await readFile(`${dir}/x.txt`), data);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("runCommand() captures output and exit code", async () => {
  const r = await runCommand("sh", ["-c", "printf hi; printf err >&2; exit 3"]);
  assert.equal(new TextDecoder().decode(r.stdout), "hi");
  assert.equal(r.stderr, "err");
  assert.equal(r.code, 3);
});

Deno.test("isLoopback() accepts loopback addresses only (127.0.0.0/8, ::1, mapped), never a name", () => {
  for (const h of ["127.0.0.1", "127.255.0.9", "::1", "[::1]", "::ffff:127.0.0.2"]) {
    assert.equal(isLoopback(h), true, h);
  }
  for (const h of ["0.0.0.0", "10.0.0.1", "::", "::2", "127.1", "0127.0.0.1", "localhost"]) {
    assert.equal(isLoopback(h), false, h);
  }
});
