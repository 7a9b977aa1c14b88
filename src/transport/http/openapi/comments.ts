// The proto's own comments, which ts-proto embeds with each file's descriptor (sourceCodeInfo), by
// full name: the OpenAPI descriptions then say exactly what the .proto files say.
import { SIGNET_PROTOS, type ProtoMetadataLike } from '../../registry.js';

/** FileDescriptorProto / DescriptorProto field numbers that make up a sourceCodeInfo path. */
const MESSAGE_TYPE = 4;
const ENUM_TYPE = 5;
const SERVICE = 6;
const NESTED_TYPE = 3;
const NESTED_ENUM = 4;
const FIELD = 2;
const METHOD = 2;

/** The parts of the embedded FileDescriptorProto read here. */
interface Named {
  name: string;
}
interface MessageDescriptor extends Named {
  field?: Named[];
  nestedType?: MessageDescriptor[];
  enumType?: Named[];
}
interface FileDescriptor extends Named {
  package?: string;
  messageType?: MessageDescriptor[];
  enumType?: Named[];
  service?: Array<Named & { method?: Named[] }>;
  sourceCodeInfo?: { location?: Array<{ path: number[]; leadingComments?: string }> };
}

/**
 * Leading comments keyed by "pkg.Message", "pkg.Message.field", "pkg.Enum", "pkg.Service" and
 * "pkg.Service/Method" (the route's rpc).
 */
export function protoComments(metas: readonly ProtoMetadataLike[] = SIGNET_PROTOS): Map<string, string> {
  const out = new Map<string, string>();
  const seen = new Set<string>();
  const addFile = (meta: ProtoMetadataLike) => {
    const fd = meta.fileDescriptor as FileDescriptor;
    if (seen.has(fd.name)) return;
    seen.add(fd.name);
    for (const dep of meta.dependencies ?? []) addFile(dep);
    const byPath = new Map<string, string>();
    for (const loc of fd.sourceCodeInfo?.location ?? []) {
      const text = tidy(loc.leadingComments ?? '');
      if (text) byPath.set(loc.path.join('.'), text);
    }
    if (byPath.size === 0) return;
    const put = (name: string, path: number[]) => {
      const text = byPath.get(path.join('.'));
      if (text) out.set(name, text);
    };
    /** Each element's full name and its sourceCodeInfo path. */
    const each = <T extends Named>(
      list: T[] | undefined,
      scope: string,
      path: number[],
      tag: number,
      fn: (name: string, at: number[], item: T) => void,
    ) => {
      for (const [i, item] of (list ?? []).entries()) fn(scope + item.name, [...path, tag, i], item);
    };
    const addMessage = (name: string, path: number[], d: MessageDescriptor) => {
      put(name, path);
      each(d.field, `${name}.`, path, FIELD, put);
      each(d.nestedType, `${name}.`, path, NESTED_TYPE, addMessage);
      each(d.enumType, `${name}.`, path, NESTED_ENUM, put);
    };
    const prefix = fd.package ? `${fd.package}.` : '';
    each(fd.messageType, prefix, [], MESSAGE_TYPE, addMessage);
    each(fd.enumType, prefix, [], ENUM_TYPE, put);
    each(fd.service, prefix, [], SERVICE, (name, path, s) => {
      put(name, path);
      each(s.method, `${name}/`, path, METHOD, put);
    });
  };
  for (const meta of metas) addFile(meta);
  return out;
}

/** protoc keeps the space after `//` and the line breaks: one space less, paragraphs kept. */
function tidy(comment: string): string {
  return comment
    .split('\n')
    .map((line) => (line.startsWith(' ') ? line.slice(1) : line))
    .join('\n')
    .trim();
}

/** The first sentence: an operation's summary. */
export function firstSentence(text: string): string {
  const flat = text.split('\n\n')[0].replace(/\s*\n\s*/g, ' ');
  const end = flat.search(/(?<!\b(?:e\.g|i\.e))\.(\s|$)/);
  return end < 0 ? flat : flat.slice(0, end + 1);
}
