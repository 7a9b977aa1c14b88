// The order of a stop (lifecycle/drain.ts) and the HTTP listener's drain (transport/http/drain.ts).
import { createServer, request, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { stopper, type DrainSteps } from '../../src/lifecycle/drain.js';
import { drainable, type HttpDrain } from '../../src/transport/http/drain.js';
import { FakeClock } from '../helpers/clock.js';

const silent = pino({ level: 'silent' });

function recordingSteps(stopAccepting: () => Promise<void>) {
  const steps: string[] = [];
  const plan: DrainSteps = {
    announce: () => void steps.push('announce'),
    stopAccepting: () => (steps.push('stop accepting'), stopAccepting()),
    cut: () => void steps.push('cut'),
    release: async () => void steps.push('release'),
  };
  return { steps, plan };
}

describe('stopper', () => {
  it('announces, stops accepting, cuts what is left and releases, once however often asked', async () => {
    const { steps, plan } = recordingSteps(async () => undefined);
    const s = stopper(plan, { delayMs: 0, graceMs: 60_000 }, silent);
    await Promise.all([s.close(), s.close()]);
    expect(steps).toEqual(['announce', 'stop accepting', 'cut', 'release']);
  });

  it('cuts the connections once the grace time is over', async () => {
    const { steps, plan } = recordingSteps(() => new Promise(() => undefined));
    await stopper(plan, { delayMs: 0, graceMs: 1 }, silent).close();
    expect(steps).toEqual(['announce', 'stop accepting', 'cut', 'release']);
  });

  it('a forced stop skips the delay and the grace time', async () => {
    const { steps, plan } = recordingSteps(() => new Promise(() => undefined));
    const s = stopper(plan, { delayMs: 600_000, graceMs: 600_000 }, silent);
    const closing = s.close();
    await Promise.resolve();
    expect(steps).toEqual(['announce']);
    await s.close({ force: true });
    await closing;
    expect(steps).toEqual(['announce', 'stop accepting', 'cut', 'release']);
  });
});

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
}

describe('HTTP drain', () => {
  let server: Server;
  let drain: HttpDrain;
  let port: number;
  let clock: FakeClock;
  let agent: Agent;
  /** Requests to /slow wait until released. */
  const held: Array<() => void> = [];

  const start = async () => {
    clock = new FakeClock();
    agent = new Agent({ keepAlive: true, maxSockets: 1 });
    server = createServer((req, res) => {
      const answer = () => res.end(req.url);
      if (req.url === '/slow') held.push(answer);
      else answer();
    });
    drain = drainable(server, { now: () => clock.now() });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
  };
  const get = (path: string) =>
    new Promise<Answer>((resolve, reject) => {
      request({ port, path, agent, host: '127.0.0.1' }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
        .on('error', reject)
        .end();
    });
  const whenHeld = async (n: number) => {
    while (held.length < n) await new Promise((r) => setImmediate(r));
  };

  afterEach(() => {
    drain?.cut();
    agent.destroy();
  });

  it('answers in flight and on kept-alive connections carry Connection: close; new connections are refused', async () => {
    await start();
    expect((await get('/a')).connection).toBe('keep-alive');
    const slow = get('/slow');
    await whenHeld(1);
    const drained = drain.drain();
    held[0]();
    expect(await slow).toEqual({ status: 200, connection: 'close', body: '/slow' });
    await expect(get('/b')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await drained;
  });

  it('keeps an idle keep-alive connection open a while, so a request sent on it is answered, not reset', async () => {
    await start();
    expect((await get('/a')).connection).toBe('keep-alive');
    const drained = drain.drain();
    // The agent reuses its idle socket: the drain must not have closed it under the client.
    expect(await get('/b')).toEqual({ status: 200, connection: 'close', body: '/b' });
    await drained;
  });

  it('closes a connection left idle past the idle time, and resolves once none is left', async () => {
    await start();
    await get('/a');
    const drained = drain.drain();
    clock.advance(1000);
    await drained;
  });
});
