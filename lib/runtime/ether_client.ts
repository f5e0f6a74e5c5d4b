/**
 * The Deno adapter of the Ether client: {@linkcode connectEther} opens a TCP connection and starts
 * the runtime-neutral {@linkcode EtherClient} core on it.
 *
 * @module
 */
import { deno } from "./_deno.ts";
import { connectTcp, type TcpStream } from "./net.ts";
import {
  ETHER_DEFAULT_PORT,
  EtherClient,
  type EtherClientOptions,
  EtherError,
} from "../ether/mod.ts";

/**
 * Options for {@linkcode connectEther}.
 *
 * @example
 * ```ts
 * import { type ConnectEtherOptions, connectEther, serveEther } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const options: ConnectEtherOptions = { port: server.port, timeout: 2000, legacy: true };
 * const client = await connectEther("127.0.0.1", options);
 * assert.equal(client.capabilities, null); // legacy: no negotiation
 * client.close();
 * await server.close();
 * ```
 */
export interface ConnectEtherOptions extends Omit<EtherClientOptions, "address"> {
  /** The server's port. Default 9999. */
  port?: number;
}

/**
 * Connects to an Ether server over TCP, authenticates when a token is given and negotiates
 * capabilities (falling back to the reference framing against a server that announces none).
 *
 * @param host Host name or address.
 * @param options Port, token, timeout (for connecting too) and legacy framing.
 * @returns The client.
 * @throws {EtherError} `network` when the connection fails, `timeout` when it takes longer than
 *   `timeout`, `auth-failed` when the server refuses the token.
 * @throws {RuntimeError} `unsupported-runtime` outside Deno.
 * @example
 * ```ts
 * import { connectEther, serveEther } from "@mxy/mxy/deno";
 * import assert from "node:assert/strict";
 * const server = await serveEther({ host: "127.0.0.1", port: 0 });
 * const client = await connectEther("127.0.0.1", { port: server.port });
 * const block = await client.alloc(3);
 * await block.write(new Uint8Array([7, 8, 9]));
 * assert.deepEqual([...await block.read()], [7, 8, 9]);
 * client.close();
 * await server.close();
 * ```
 */
export async function connectEther(
  host: string,
  options: ConnectEtherOptions = {},
): Promise<EtherClient> {
  deno("connectEther()");
  const port = options.port ?? ETHER_DEFAULT_PORT;
  const timeout = options.timeout ?? 10_000;
  let stream: TcpStream;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const connecting = connectTcp(host, { port });
  try {
    stream = timeout > 0
      ? await Promise.race([
        connecting,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () =>
              reject(
                new EtherError(
                  "timeout",
                  `Connecting to ${host}:${port} timed out after ${timeout} ms`,
                ),
              ),
            timeout,
          );
        }),
      ])
      : await connecting;
  } catch (err) {
    if (err instanceof EtherError) {
      connecting.then((late) => late.close(), () => {}); // do not leak a late connection
      throw err;
    }
    throw new EtherError(
      "network",
      `Cannot connect to ${host}:${port}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    clearTimeout(timer);
  }
  return await EtherClient.open(stream, { ...options, address: `${host}:${port}` });
}
