// routes.schema.json is generated from schema.ts; it must never drift from the validator.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildJsonSchema, renderJsonSchema, SCHEMA_FILE, undocumentedFields } from '../../scripts/schema.ts';

type Node = Record<string, any>;

describe('routes.schema.json', () => {
  it('is up to date with src/config/schema.ts', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(committed === renderJsonSchema(), 'routes.schema.json is stale: run `npm run schema` and commit it').toBe(true);
  });

  it('renders the same text every time, ending in a newline', () => {
    const text = renderJsonSchema();
    expect(text).toBe(renderJsonSchema());
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('documents every field, for editor tooltips', () => {
    expect(undocumentedFields(), 'add these to DOCS in scripts/schema.ts').toEqual([]);
  });

  const schema = buildJsonSchema() as Node;
  const route = schema.properties.routes.items as Node;

  it('names its draft and documents itself', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('switchyard routes');
    expect(schema.description).toMatch(/routes/i);
    expect(route.properties.stripPrefix.description).toMatch(/Default true/);
    expect(route.properties.timeout.description).toMatch(/30000/);
  });

  it('rejects unknown fields wherever the validator does', () => {
    expect(schema.additionalProperties).toBe(false);
    expect(route.additionalProperties).toBe(false);
    expect(route.properties.headers.additionalProperties).toBe(false);
    expect(route.properties.headers.properties.request.additionalProperties).toBe(false);
    const corsObject = route.properties.cors.anyOf.find((branch: Node) => branch.type === 'object');
    expect(corsObject.additionalProperties).toBe(false);
  });

  it('requires the path and exactly one of origin or origins', () => {
    expect(schema.required).toEqual(['routes']);
    expect(route.required).toEqual(['path']);
    expect(route.oneOf).toEqual([{ required: ['origin'] }, { required: ['origins'] }]);
  });

  it('spells case-insensitive patterns out, since JSON Schema patterns have no flags', () => {
    const origin = new RegExp(route.properties.origin.pattern);
    expect(origin.test('HTTPS://API.example.com/v1')).toBe(true);
    expect(origin.test('https://api.example.com/v1')).toBe(true);
    expect(origin.test('ftp://example.com')).toBe(false);
    expect(origin.test('https://example.com/?q=1')).toBe(false);
  });

  it('carries the validator\'s patterns', () => {
    const path = new RegExp(route.properties.path.pattern);
    expect(path.test('/api')).toBe(true);
    expect(path.test('api')).toBe(false);
    const headerName = new RegExp(route.properties.headers.properties.request.properties.set.propertyNames.pattern);
    expect(headerName.test('X-Api-Key')).toBe(true);
    expect(headerName.test('Bad Name')).toBe(false);
  });
});
