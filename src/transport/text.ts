// Text is checked where it crosses into Signet: an identifier with a NUL byte or another control
// character is the client's mistake (and PostgreSQL refuses NUL outright), so it is answered as
// invalid_argument naming the field, never passed on to fail deeper as `internal`.
import { invalidArgument } from '../domain/errors.js';

// C0 controls, DEL and C1 controls: nothing an identifier, token or key ever contains.
// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find them
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/** An identifier-like field: no control characters. */
export function plain(value: string, field: string): string {
  if (CONTROL.test(value)) throw invalidArgument(field, 'must not contain control characters');
  return value;
}

/** Checks each named field of a message as plain text; returns the message. */
export function plainFields<T extends object>(msg: T, fields: readonly (keyof T & string)[]): T {
  for (const f of fields) {
    const v = msg[f];
    if (typeof v === 'string' && v !== '') plain(v, f);
  }
  return msg;
}
