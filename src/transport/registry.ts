// Message and enum descriptors of the generated code, indexed once at start-up so that the JSON
// codec and the transcoder never walk a FileDescriptorProto per request.
import { protoMetadata as adminServiceMeta } from '../gen/signet/auth/v1/admin_service.js';
import { protoMetadata as authServiceMeta } from '../gen/signet/auth/v1/auth_service.js';
import { protoMetadata as accountServiceMeta } from '../gen/signet/auth/v1/account_service.js';
import { protoMetadata as errorDetailsMeta } from '../gen/google/rpc/error_details.js';
import { protoMetadata as statusMeta } from '../gen/google/rpc/status.js';

/** FieldDescriptorProto.Type values. */
export const T = {
  DOUBLE: 1,
  FLOAT: 2,
  INT64: 3,
  UINT64: 4,
  INT32: 5,
  FIXED64: 6,
  FIXED32: 7,
  BOOL: 8,
  STRING: 9,
  GROUP: 10,
  MESSAGE: 11,
  BYTES: 12,
  UINT32: 13,
  ENUM: 14,
  SFIXED32: 15,
  SFIXED64: 16,
  SINT32: 17,
  SINT64: 18,
} as const;

/**
 * Well-known types whose JSON form is not their fields, as ts-proto represents them with
 * useDate=true: Timestamp is a Date; the wrappers, Struct, Value, ListValue and FieldMask are
 * unwrapped to plain values; Duration and Any stay messages.
 */
export type WellKnown = 'timestamp' | 'duration' | 'any' | 'wrapper' | 'struct' | 'value' | 'listvalue' | 'fieldmask';

const WRAPPERS: Record<string, number> = {
  'google.protobuf.DoubleValue': T.DOUBLE,
  'google.protobuf.FloatValue': T.FLOAT,
  'google.protobuf.Int64Value': T.INT64,
  'google.protobuf.UInt64Value': T.UINT64,
  'google.protobuf.Int32Value': T.INT32,
  'google.protobuf.UInt32Value': T.UINT32,
  'google.protobuf.BoolValue': T.BOOL,
  'google.protobuf.StringValue': T.STRING,
  'google.protobuf.BytesValue': T.BYTES,
};

const WELL_KNOWN: Record<string, WellKnown> = {
  'google.protobuf.Timestamp': 'timestamp',
  'google.protobuf.Duration': 'duration',
  'google.protobuf.Any': 'any',
  'google.protobuf.Struct': 'struct',
  'google.protobuf.Value': 'value',
  'google.protobuf.ListValue': 'listvalue',
  'google.protobuf.FieldMask': 'fieldmask',
};

/** The generated codec of a message (the part of ts-proto's MessageFns the transports use). */
export interface MessageCodec {
  encode(message: any): { finish(): Uint8Array };
  decode(input: Uint8Array): any;
  fromPartial(object: any): any;
}

export interface FieldInfo {
  /** The proto name, which is also the TS property (snakeToCamel=false). */
  name: string;
  jsonName: string;
  number: number;
  type: number;
  /** Without the leading dot. */
  typeName: string;
  repeated: boolean;
  /** Absent unless set: proto3 optional, oneof members, messages. Omitted from JSON when unset. */
  presence: boolean;
  wellKnown?: WellKnown;
  /** For wrappers: the scalar type inside. */
  wrapped?: number;
  message?: MessageInfo;
  enumInfo?: EnumInfo;
  map?: { key: FieldInfo; value: FieldInfo };
}

export interface MessageInfo {
  typeName: string;
  /** The DescriptorProto as ts-proto embeds it (outputSchema=true). */
  descriptor: any;
  fields: FieldInfo[];
  /** Both spellings (proto name and lowerCamel JSON name) of every field. */
  byName: Map<string, FieldInfo>;
  /** Undefined for map entries, which ts-proto has no codec for. */
  codec?: MessageCodec;
  mapEntry: boolean;
}

export interface EnumInfo {
  typeName: string;
  byName: Map<string, number>;
  byNumber: Map<number, string>;
}

export interface ProtoMetadataLike {
  fileDescriptor: any;
  references: Record<string, unknown>;
  dependencies?: ProtoMetadataLike[];
}

export interface Registry {
  messages: ReadonlyMap<string, MessageInfo>;
  enums: ReadonlyMap<string, EnumInfo>;
  /** Throws if the type is unknown: a programming error, never a client's. */
  message(typeName: string): MessageInfo;
  /** The full name (no leading dot) of a generated codec, e.g. a method's requestType. */
  typeNameOf(codec: unknown): string | undefined;
}

/** The JSON treatment of a type name, if it is a well-known type with its own JSON form. */
export function wellKnownOf(typeName: string): WellKnown | undefined {
  const name = stripDot(typeName);
  return WRAPPERS[name] !== undefined ? 'wrapper' : WELL_KNOWN[name];
}

/** The scalar inside a wrapper type (google.protobuf.Int32Value → INT32). */
export const wrappedScalarOf = (typeName: string): number | undefined => WRAPPERS[stripDot(typeName)];

const stripDot = (name: string) => (name.startsWith('.') ? name.slice(1) : name);

interface PendingField {
  info: FieldInfo;
  proto3Optional: boolean;
}

/** The files of Signet's services, google.rpc.Status and its details (and all they import). */
export const SIGNET_PROTOS: readonly ProtoMetadataLike[] = [
  authServiceMeta,
  accountServiceMeta,
  adminServiceMeta,
  statusMeta,
  errorDetailsMeta,
];

/** Indexes the given files (by default SIGNET_PROTOS) and, transitively, everything they import. */
export function createRegistry(metas: readonly ProtoMetadataLike[] = SIGNET_PROTOS): Registry {
  const messages = new Map<string, MessageInfo>();
  const enums = new Map<string, EnumInfo>();
  const codecToType = new Map<unknown, string>();
  const pending: Array<{ msg: MessageInfo; fields: PendingField[] }> = [];
  const seenFiles = new Set<string>();

  const addEnum = (fullName: string, e: any) => {
    const byName = new Map<string, number>();
    const byNumber = new Map<number, string>();
    for (const v of e.value ?? []) {
      byName.set(v.name, v.number);
      if (!byNumber.has(v.number)) byNumber.set(v.number, v.name);
    }
    enums.set(fullName, { typeName: fullName, byName, byNumber });
  };

  const addMessage = (fullName: string, d: any, refs: Record<string, unknown>) => {
    const codec = refs[`.${fullName}`] as MessageCodec | undefined;
    const msg: MessageInfo = {
      typeName: fullName,
      descriptor: d,
      fields: [],
      byName: new Map(),
      codec,
      mapEntry: d.options?.mapEntry === true,
    };
    messages.set(fullName, msg);
    if (codec) codecToType.set(codec, fullName);
    const fields: PendingField[] = (d.field ?? []).map((f: any) => ({
      proto3Optional: f.proto3Optional === true,
      info: {
        name: f.name,
        jsonName: f.jsonName || f.name,
        number: f.number,
        type: f.type,
        typeName: stripDot(f.typeName ?? ''),
        repeated: f.label === 3,
        presence: false,
      },
    }));
    pending.push({ msg, fields });
    for (const n of d.nestedType ?? []) addMessage(`${fullName}.${n.name}`, n, refs);
    for (const e of d.enumType ?? []) addEnum(`${fullName}.${e.name}`, e);
  };

  const addFile = (meta: ProtoMetadataLike) => {
    const fd = meta.fileDescriptor;
    if (seenFiles.has(fd.name)) return;
    seenFiles.add(fd.name);
    for (const dep of meta.dependencies ?? []) addFile(dep);
    const prefix = fd.package ? `${fd.package}.` : '';
    for (const m of fd.messageType ?? []) addMessage(prefix + m.name, m, meta.references);
    for (const e of fd.enumType ?? []) addEnum(prefix + e.name, e);
  };
  for (const meta of metas) addFile(meta);

  for (const { msg, fields } of pending) {
    for (const { info } of fields) {
      msg.fields.push(info);
      msg.byName.set(info.name, info);
      msg.byName.set(info.jsonName, info);
    }
  }
  for (const { msg, fields } of pending) {
    // ts-proto leaves a field undefined by default exactly when it has presence (messages, proto3
    // optional, oneof members); FileDescriptorProto's oneofIndex cannot tell 0 from unset.
    const defaults = msg.codec ? msg.codec.fromPartial({}) : undefined;
    for (const { info, proto3Optional } of fields) {
      resolveField(info, messages, enums);
      if (!info.repeated && !info.map) {
        info.presence = info.type === T.MESSAGE || proto3Optional || (defaults !== undefined && defaults[info.name] === undefined);
      }
    }
  }

  return {
    messages,
    enums,
    message(typeName) {
      const m = messages.get(stripDot(typeName));
      if (!m) throw new Error(`protojson: unknown message type ${typeName}`);
      return m;
    },
    typeNameOf: (codec) => codecToType.get(codec),
  };
}

function resolveField(info: FieldInfo, messages: Map<string, MessageInfo>, enums: Map<string, EnumInfo>): void {
  if (info.type === T.GROUP) throw new Error(`protojson: groups are not supported (${info.name})`);
  if (info.type === T.ENUM) {
    info.enumInfo = enums.get(info.typeName);
    if (!info.enumInfo) throw new Error(`protojson: enum ${info.typeName} is not registered`);
    return;
  }
  if (info.type !== T.MESSAGE) return;
  const wrapped = WRAPPERS[info.typeName];
  if (wrapped !== undefined) {
    info.wellKnown = 'wrapper';
    info.wrapped = wrapped;
    return;
  }
  info.wellKnown = WELL_KNOWN[info.typeName];
  if (info.wellKnown && info.wellKnown !== 'duration' && info.wellKnown !== 'any') return;
  info.message = messages.get(info.typeName);
  if (!info.message) throw new Error(`protojson: message ${info.typeName} is not registered`);
  if (info.repeated && info.message.mapEntry) {
    const [key, value] = [info.message.byName.get('key'), info.message.byName.get('value')];
    if (!key || !value) throw new Error(`protojson: malformed map entry ${info.typeName}`);
    info.map = { key, value };
    // A map is a repeated entry on the wire but one JSON object, never "repeated" in JSON.
    info.repeated = false;
  }
}

let signet: Registry | undefined;

/** A shared registry of SIGNET_PROTOS, for callers that have none at hand. */
export function defaultRegistry(): Registry {
  signet ??= createRegistry();
  return signet;
}
