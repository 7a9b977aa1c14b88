import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ECHO_WINDOW_MS, handleStopSignals, type StopSignal } from '../../src/lifecycle/signals.js';
import { FakeClock } from '../helpers/clock.js';

function setup() {
  const source = new EventEmitter();
  const clock = new FakeClock();
  const events: string[] = [];
  const remove = handleStopSignals(
    source,
    { drain: (s) => events.push(`drain ${s}`), force: (s) => events.push(`force ${s}`) },
    pino({ level: 'silent' }),
    () => clock.now(),
  );
  const signal = (s: StopSignal, afterMs = 0) => {
    clock.advance(afterMs);
    source.emit(s);
  };
  return { source, events, signal, remove };
}

describe('stop signals', () => {
  it('drains on the first SIGTERM or SIGINT', () => {
    const t = setup();
    t.signal('SIGINT');
    expect(t.events).toEqual(['drain SIGINT']);
  });

  it('takes the copies a process group and npm deliver within the window for one stop', () => {
    const t = setup();
    // A group signalled twice, each signal relayed once more by npm: four deliveries.
    t.signal('SIGTERM');
    t.signal('SIGTERM', 1);
    t.signal('SIGTERM', 20);
    t.signal('SIGTERM', 5);
    expect(t.events).toEqual(['drain SIGTERM']);
    expect(t.source.listenerCount('SIGTERM')).toBe(1);
  });

  it('ignores a second distinct signal and stops at once on the third', () => {
    const t = setup();
    t.signal('SIGTERM');
    t.signal('SIGINT', ECHO_WINDOW_MS);
    expect(t.events).toEqual(['drain SIGTERM']);
    t.signal('SIGINT', ECHO_WINDOW_MS - 1);
    expect(t.events).toEqual(['drain SIGTERM']);
    t.signal('SIGINT', 1);
    expect(t.events).toEqual(['drain SIGTERM', 'force SIGINT']);
  });

  it('keeps listening for the life of the process, and lets go when removed', () => {
    const t = setup();
    for (let i = 0; i < 5; i++) t.signal('SIGTERM', ECHO_WINDOW_MS);
    expect(t.source.listenerCount('SIGTERM')).toBe(1);
    t.remove();
    expect(t.source.listenerCount('SIGTERM') + t.source.listenerCount('SIGINT')).toBe(0);
  });
});
