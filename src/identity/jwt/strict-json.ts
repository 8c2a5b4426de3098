import { parse, type AnyNode } from '@humanwhocodes/momoa';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes one base64url JWS segment as strict UTF-8 JSON and reports whether any object in it repeats a
 * member name. `JSON.parse` keeps the last duplicate silently while other parsers keep the first, so a
 * token like `{"sub":"alice","sub":"admin"}` would mean different things to different services: it is
 * refused instead. Returns false for text that is not JSON (the decoder reports that separately).
 */
export function segmentHasDuplicateMembers(segment: string): boolean {
  let text: string;
  try {
    text = utf8.decode(Buffer.from(segment, 'base64url'));
  } catch {
    return true; // not UTF-8: refuse as malformed, same as duplicates
  }
  let root: AnyNode;
  try {
    root = parse(text).body;
  } catch {
    return false;
  }
  const pending: AnyNode[] = [root];
  while (pending.length > 0) {
    const node = pending.pop() as AnyNode;
    if (node.type === 'Object') {
      const names = new Set<string>();
      for (const member of node.members) {
        const name = member.name.type === 'String' ? member.name.value : member.name.name;
        if (names.has(name)) return true;
        names.add(name);
        pending.push(member.value);
      }
    } else if (node.type === 'Array') {
      for (const element of node.elements) pending.push(element.value);
    }
  }
  return false;
}
