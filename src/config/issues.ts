// Config problems as the user reads them: `routes[2].origin: must be …`. They end up in
// a public 500 and in `npm run check`, so they describe what was found by its type only
// and never echo a value (ROUTES may be a secret holding inline credentials).
import type * as v from 'valibot';

type Issue = v.BaseIssue<unknown>;
type Key = string | number;

export function formatPath(path: readonly Key[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${key}` : key;
  }
  return out || '(root)';
}

/** One line per problem, JSON path first; a union's issues are reported from the branch the value was meant for. */
export function describeIssues(issues: readonly Issue[], schema?: unknown, parent: readonly Key[] = []): string[] {
  return issues.flatMap((issue) => {
    const path = [...parent, ...(issue.path ?? []).map((item) => item.key as Key)];
    const nested = issue.type === 'union' ? (issue.issues ?? []).filter((sub) => sub.path?.length) : [];
    if (nested.length) return describeIssues(nested, schema, path);
    if (issue.type === 'strict_object' && issue.expected === 'never') return [`${formatPath(path)}: ${unknownField(schema, path)}`];
    return [`${formatPath(path)}: ${describeIssue(issue)}`];
  });
}

function describeIssue(issue: Issue): string {
  // Our own messages (schema.ts) are written for users; valibot's defaults echo the value.
  if (!issue.message.startsWith('Invalid ')) return issue.message;
  if (issue.kind === 'schema' && issue.input === undefined) return 'is required';
  if (issue.kind === 'schema') return `must be ${alternatives(issue.expected)}, got ${typeOf(issue.input)}`;
  if (issue.type === 'integer') return 'must be a whole number';
  return issue.expected ? `must be ${issue.expected}` : `is not valid (${issue.type})`;
}

/** Most unknown fields are typos: `stripprefix`, `orgin`. */
function unknownField(schema: unknown, path: readonly Key[]): string {
  const name = String(path.at(-1)).toLowerCase();
  const known = fieldsAt(schema, path.slice(0, -1));
  const guess = known.find((field) => field.toLowerCase() === name) ?? known.find((field) => name.length > 3 && distance(field.toLowerCase(), name) <= 2);
  return guess ? `unknown field (did you mean "${guess}"?)` : 'unknown field';
}

type SchemaNode = { type?: string; entries?: Record<string, SchemaNode>; item?: SchemaNode; value?: SchemaNode; wrapped?: SchemaNode; options?: SchemaNode[] };

function fieldsAt(schema: unknown, path: readonly Key[]): string[] {
  let node = unwrap(schema as SchemaNode | undefined);
  for (const key of path) {
    if (node?.type === 'array') node = node.item;
    else if (node?.type === 'record') node = node.value;
    else node = node?.entries?.[key];
    node = unwrap(node);
  }
  return Object.keys(node?.entries ?? {});
}

/** optional(x) → x; a union → its object branch (cors: boolean | object). */
function unwrap(node: SchemaNode | undefined): SchemaNode | undefined {
  while (node?.wrapped) node = node.wrapped;
  if (node?.type === 'union') return node.options?.find((option) => option.entries);
  return node;
}

function distance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

function alternatives(expected: string | null): string {
  const names = (expected ?? '').replace(/^\((.*)\)$/, '$1').split(' | ');
  return names.map((name) => NOUNS[name] ?? name).join(' or ');
}

const NOUNS: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  boolean: 'a boolean',
  Object: 'an object',
  Array: 'an array',
};

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return NOUNS[typeof value === 'object' ? 'Object' : typeof value] ?? typeof value;
}

/**
 * JSON.parse messages may quote the text around the error (`Unexpected token 'x', "{…}" is
 * not valid JSON`); keep only where it is.
 */
export function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const at = /at position (\d+)/.exec(message);
  if (at) {
    const position = Number(at[1]);
    const before = text.slice(0, position).split('\n');
    const what = message.slice(0, at.index).trim().replace(/\s+in JSON$/, '');
    return `not valid JSON: ${what.charAt(0).toLowerCase()}${what.slice(1)} at line ${before.length} column ${before.at(-1)!.length + 1}`;
  }
  if (/end of JSON input/i.test(message)) return 'not valid JSON: it ends too early';
  return 'not valid JSON: unexpected text (a value must be an object, array, string, number, true, false or null)';
}
