// Draining an HTTP/1.1 listener without losing a keep-alive client's request. Node's
// server.close() destroys idle keep-alive connections at once, which races with a client that is
// just sending its next request on one: that request is reset although the client did nothing
// wrong. Instead, once draining:
// - every answer says `Connection: close` (those in flight too), so clients stop reusing the
//   connection and open a new one elsewhere;
// - a connection is closed by the server only after it has been idle for a while, long past the
//   moment a busy client would have sent its next request.
import { Server as NetServer, type Socket } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/** How long a connection must have been idle, during the drain, before the server closes it. */
export const DRAIN_IDLE_MS = 1000;

interface Connection {
  inFlight: number;
  idleSince: number;
}

export interface HttpDrain {
  /** From now on every answer closes its connection (the listener still accepts new ones). */
  closeAfterAnswers(): void;
  /** Stops accepting; resolves once every connection is closed. */
  drain(): Promise<void>;
  /** Destroys every connection left. */
  cut(): void;
}

/** Call right after creating the server, before it accepts anything. */
export function drainable(server: Server, opts: { idleMs?: number; now?: () => number } = {}): HttpDrain {
  const idleMs = opts.idleMs ?? DRAIN_IDLE_MS;
  const now = opts.now ?? Date.now;
  const connections = new Map<Socket, Connection>();
  const answering = new Set<ServerResponse>();
  let closing = false;
  let draining: Promise<void> | undefined;
  let sweeper: NodeJS.Timeout | undefined;
  let allClosed: (() => void) | undefined;

  const settle = () => {
    if (!draining || connections.size > 0) return;
    clearInterval(sweeper);
    allClosed?.();
  };
  server.on('connection', (socket: Socket) => {
    connections.set(socket, { inFlight: 0, idleSince: now() });
    socket.once('close', () => {
      connections.delete(socket);
      settle();
    });
  });
  // Before the application's listener, which may answer synchronously.
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const conn = connections.get(req.socket);
    if (conn) conn.inFlight++;
    if (closing) res.setHeader('connection', 'close');
    answering.add(res);
    res.once('close', () => {
      answering.delete(res);
      if (conn) {
        conn.inFlight--;
        conn.idleSince = now();
      }
    });
  });

  const sweep = () => {
    const t = now();
    for (const [socket, conn] of connections) {
      if (conn.inFlight === 0 && t - conn.idleSince >= idleMs) socket.destroy();
    }
  };

  const closeAfterAnswers = () => {
    if (closing) return;
    closing = true;
    for (const res of answering) if (!res.headersSent) res.setHeader('connection', 'close');
  };

  return {
    closeAfterAnswers,
    drain() {
      if (draining) return draining;
      draining = new Promise<void>((resolve) => {
        allClosed = resolve;
      });
      closeAfterAnswers();
      // net.Server's close: stop listening without http.Server's immediate sweep of idle connections.
      NetServer.prototype.close.call(server);
      sweeper = setInterval(sweep, Math.min(100, idleMs)).unref();
      settle();
      return draining;
    },
    cut() {
      clearInterval(sweeper);
      for (const socket of connections.keys()) socket.destroy();
      // http.Server's own close, now that nothing is left: it also stops its request-timeout timer.
      server.close(() => undefined);
    },
  };
}
