import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface HeldUrlServer {
  /** A bound statement reading this server through url(): it runs until {@link release}. */
  heldStatement: string;
  /** Resolves once a statement's read has reached the server and is being held. */
  reached(): Promise<void>;
  /** Answers every held read (and every later one at once). */
  release(): void;
  /** Releases and closes the server, and clears the safety timer. */
  close(): void;
}

/**
 * A local HTTP server whose GETs are held until the test releases them, so that a ClickHouse statement
 * reading it with url() stays running while the test checks what other clients can do meanwhile. Whatever
 * happens, the held reads are answered after `safetyMs`, so the statement ends and the test reports.
 */
export async function startHeldUrlServer(safetyMs = 60_000): Promise<HeldUrlServer> {
  const held: ServerResponse[] = [];
  let released = false;
  const server = createServer((req, res) => {
    if (released || req.method !== 'GET') res.end(req.method === 'GET' ? '1\n' : undefined);
    else held.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const release = () => {
    released = true;
    for (const res of held.splice(0)) res.end('1\n');
  };
  const safety = setTimeout(release, safetyMs);
  return {
    heldStatement: `SELECT sum(x) AS s FROM url('http://127.0.0.1:${port}/', CSV, 'x UInt8') WHERE x >= {min:UInt8}`,
    reached: async () => {
      while (held.length === 0) await new Promise((r) => setTimeout(r, 20));
    },
    release,
    close: () => {
      clearTimeout(safety);
      release();
      server.close();
    },
  };
}
