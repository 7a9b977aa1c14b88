// Well-known types that Signet's protos do not use yet, on a hand-made descriptor: ts-proto
// unwraps wrappers, Struct, Value, ListValue and FieldMask to plain values.
import { describe, expect, it } from 'vitest';
import { SignetError } from '../../src/domain/errors.js';
import { protoMetadata as anyMeta } from '../../src/gen/google/protobuf/any.js';
import { protoMetadata as durationMeta } from '../../src/gen/google/protobuf/duration.js';
import { decodeJson, encodeJson } from '../../src/transport/protojson.js';
import { createRegistry } from '../../src/transport/registry.js';

const field = (name: string, number: number, type: number, typeName = '', label = 1) => ({
  name,
  number,
  type,
  typeName,
  label,
  jsonName: name.replace(/_([a-z])/g, (_, c) => c.toUpperCase()),
  proto3Optional: false,
});

const codec = {
  fromPartial: (o: any) => ({ counts: {}, ...o }),
  encode: () => ({ finish: () => new Uint8Array() }),
  decode: () => ({}),
};

const reg = createRegistry([
  {
    fileDescriptor: {
      name: 'test/wkt.proto',
      package: 'test',
      messageType: [
        {
          name: 'W',
          field: [
            field('s', 1, 11, '.google.protobuf.StringValue'),
            field('big', 2, 11, '.google.protobuf.Int64Value'),
            field('flag', 3, 11, '.google.protobuf.BoolValue'),
            field('st', 4, 11, '.google.protobuf.Struct'),
            field('v', 5, 11, '.google.protobuf.Value'),
            field('lv', 6, 11, '.google.protobuf.ListValue'),
            field('update_mask', 7, 11, '.google.protobuf.FieldMask'),
            field('raw', 8, 11, '.google.protobuf.BytesValue'),
            field('counts', 9, 11, '.test.W.CountsEntry', 3),
          ],
          nestedType: [
            {
              name: 'CountsEntry',
              field: [field('key', 1, 5), field('value', 2, 11, '.google.protobuf.Duration')],
              options: { mapEntry: true },
            },
          ],
        },
      ],
    },
    references: { '.test.W': codec },
    dependencies: [anyMeta, durationMeta],
  },
]);

const dec = (json: unknown) => decodeJson('test.W', json, '', reg);
const enc = (msg: unknown) => encodeJson('test.W', msg, reg);

describe('well-known types', () => {
  it('unwraps wrappers', () => {
    expect(dec({ s: '', big: '12', flag: false, raw: 'AQI=' })).toEqual({
      counts: {},
      s: '',
      big: 12,
      flag: false,
      raw: Buffer.from([1, 2]),
    });
    expect(enc({ s: 'x', big: 12, flag: true, raw: Buffer.from([1, 2]) })).toEqual({
      s: 'x',
      big: '12',
      flag: true,
      raw: 'AQI=',
      counts: {},
    });
    expect(enc({})).toEqual({ counts: {} });
    expect(() => dec({ flag: 'yes' })).toThrow(SignetError);
  });

  it('passes Struct, Value and ListValue through', () => {
    const m = dec({ st: { a: [1, { b: null }] }, v: null, lv: [1, 'x'] });
    expect(m).toEqual({ counts: {}, st: { a: [1, { b: null }] }, v: null, lv: [1, 'x'] });
    expect(enc(m)).toEqual({ st: { a: [1, { b: null }] }, lv: [1, 'x'], counts: {} });
    expect(() => dec({ st: [] })).toThrow(SignetError);
    expect(() => dec({ lv: {} })).toThrow(SignetError);
  });

  it('reads and writes field masks in lowerCamel, held as snake_case paths', () => {
    expect(dec({ updateMask: 'displayName,policy.hideUnknownUsers' }).update_mask).toEqual(['display_name', 'policy.hide_unknown_users']);
    expect(dec({ update_mask: '' }).update_mask).toEqual([]);
    expect(enc({ update_mask: ['display_name', 'a.b_c'] }).update_mask).toBe('displayName,a.bC');
  });

  it('handles maps with integer keys and message values', () => {
    expect(dec({ counts: { '1': '2s', '-3': '0.5s' } }).counts).toEqual({
      '1': { seconds: 2, nanos: 0 },
      '-3': { seconds: 0, nanos: 500_000_000 },
    });
    expect(enc({ counts: { 1: { seconds: 2, nanos: 0 } } }).counts).toEqual({ '1': '2s' });
    let err: SignetError | undefined;
    try {
      dec({ counts: { x: '1s' } });
    } catch (e) {
      err = e as SignetError;
    }
    expect(err?.details.fieldViolations).toEqual([{ field: 'counts["x"]', description: 'expected an integer' }]);
    expect(() => dec(JSON.parse('{"counts":{"__proto__":"1s"}}'))).toThrow(SignetError);
  });
});
