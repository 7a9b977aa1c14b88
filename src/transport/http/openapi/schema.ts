// JSON Schemas (OpenAPI 3.1) of the messages as the transcoder writes and reads them: protojson
// with proto field names (protojson.ts), 64-bit integers as strings, enums by name, well-known
// types in their JSON forms. Every message and enum reached is put in components.schemas once.
import { T, type EnumInfo, type FieldInfo, type MessageInfo } from '../../registry.js';

export type Schema = Record<string, unknown>;

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });

const INT64 = new Set<number>([T.INT64, T.SINT64, T.SFIXED64]);
const UINT64 = new Set<number>([T.UINT64, T.FIXED64]);

function scalar(type: number): Schema {
  if (INT64.has(type)) return { type: 'string', format: 'int64', description: 'A 64-bit integer; a JSON number is accepted too.' };
  if (UINT64.has(type)) return { type: 'string', format: 'uint64', description: 'A 64-bit integer; a JSON number is accepted too.' };
  switch (type) {
    case T.STRING:
      return { type: 'string' };
    case T.BOOL:
      return { type: 'boolean' };
    case T.INT32:
    case T.SINT32:
    case T.SFIXED32:
      return { type: 'integer', format: 'int32' };
    case T.UINT32:
    case T.FIXED32:
      return { type: 'integer', format: 'int64', minimum: 0, maximum: 4294967295 };
    case T.FLOAT:
      return { type: 'number', format: 'float' };
    case T.DOUBLE:
      return { type: 'number', format: 'double' };
    case T.BYTES:
      return { type: 'string', format: 'byte', contentEncoding: 'base64' };
    default:
      throw new Error(`openapi: no schema for field type ${type}`);
  }
}

export class SchemaSet {
  /** components.schemas, filled as messages and enums are referenced. */
  readonly schemas: Record<string, Schema> = {};

  constructor(private readonly comments: ReadonlyMap<string, string>) {}

  /** A $ref to the message's schema, adding it (and what it refers to) on first use. */
  message(info: MessageInfo): Schema {
    if (!this.schemas[info.typeName]) {
      const schema: Schema = { type: 'object' };
      // Set before the fields, so that a recursive message refers to itself instead of looping.
      this.schemas[info.typeName] = schema;
      const properties: Record<string, Schema> = {};
      for (const f of info.fields) properties[f.name] = this.field(f, info);
      const description = this.comments.get(info.typeName);
      if (description) schema.description = description;
      schema.properties = properties;
    }
    return ref(info.typeName);
  }

  /** A field's schema: list, map or single value, with the field's comment. */
  field(f: FieldInfo, owner?: MessageInfo): Schema {
    let schema: Schema;
    if (f.map) schema = { type: 'object', additionalProperties: this.single(f.map.value) };
    else if (f.repeated) schema = { type: 'array', items: this.single(f) };
    else schema = this.single(f);
    const description = owner && this.comments.get(`${owner.typeName}.${f.name}`);
    return description ? { ...schema, description } : schema;
  }

  single(f: FieldInfo): Schema {
    if (f.type === T.ENUM) return this.enumeration(f.enumInfo!);
    if (f.type !== T.MESSAGE) return scalar(f.type);
    switch (f.wellKnown) {
      case 'timestamp':
        return { type: 'string', format: 'date-time' };
      case 'duration':
        return { type: 'string', pattern: '^-?\\d+(\\.\\d{1,9})?s$', examples: ['1.5s'] };
      case 'wrapper':
        return scalar(f.wrapped!);
      case 'fieldmask':
        return { type: 'string', description: 'Comma-separated lowerCamel field paths.' };
      case 'struct':
        return { type: 'object' };
      case 'listvalue':
        return { type: 'array' };
      case 'value':
        return {};
      case 'any':
        return this.any();
      default:
        return this.message(f.message!);
    }
  }

  private enumeration(e: EnumInfo): Schema {
    if (!this.schemas[e.typeName]) {
      const names = [...e.byName.keys()];
      const schema: Schema = { type: 'string', enum: names };
      const description = this.comments.get(e.typeName);
      if (description) schema.description = description;
      this.schemas[e.typeName] = schema;
    }
    return ref(e.typeName);
  }

  /** google.protobuf.Any in JSON: the type URL beside the message's own fields. */
  private any(): Schema {
    const name = 'google.protobuf.Any';
    this.schemas[name] ??= {
      type: 'object',
      description: "A message of the type named by @type, with that message's fields beside it.",
      properties: { '@type': { type: 'string', examples: ['type.googleapis.com/google.rpc.ErrorInfo'] } },
      required: ['@type'],
      additionalProperties: true,
    };
    return ref(name);
  }
}
