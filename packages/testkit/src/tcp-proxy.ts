import { connect, createServer, type AddressInfo, type Socket } from 'node:net';

export interface TcpProxy {
  host: string;
  port: number;
  /** Simulates the target going down: drops every open connection and resets new ones. */
  pause(): void;
  /** Lets connections through again (clients reconnect on their own). */
  resume(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy to `targetHost:targetPort` that tests can pause, e.g. in front of Redis
 * to see that the API fails fast and the outbox relay catches up once Redis is back.
 */
export const startTcpProxy = async (targetHost: string, targetPort: number): Promise<TcpProxy> => {
  let paused = false;
  const open = new Set<{ client: Socket; upstream: Socket }>();

  const server = createServer((client) => {
    if (paused) {
      client.resetAndDestroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    const pair = { client, upstream };
    open.add(pair);
    const drop = () => {
      open.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  const dropAll = () => {
    for (const pair of open) {
      open.delete(pair);
      // A reset, not a polite FIN: clients see ECONNRESET as they would from a dead server.
      if (!pair.client.destroyed) pair.client.resetAndDestroy();
      pair.upstream.destroy();
    }
  };

  return {
    host: '127.0.0.1',
    port,
    pause: () => {
      paused = true;
      dropAll();
    },
    resume: () => {
      paused = false;
    },
    close: async () => {
      paused = true;
      dropAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};
