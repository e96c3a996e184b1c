import * as z from 'zod';

/** One documented setting: where it sits, what it accepts, what it is when left out, and what it means. */
export interface Field {
  path: string;
  type: string;
  default: string;
  description: string | undefined;
}

type Schema = z.core.$ZodType;

interface Def {
  type: string;
  innerType?: Schema;
  in?: Schema;
  defaultValue?: unknown;
  shape?: Record<string, Schema>;
  element?: Schema;
  options?: Schema[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  checks?: Schema[];
  format?: string;
  protocol?: RegExp;
}

const defOf = (schema: Schema): Def => schema._zod.def as unknown as Def;

/** The schema a wrapper (optional, default, prefault, a transform's pipe) stands for. */
function unwrapOnce(schema: Schema): Schema | undefined {
  const def = defOf(schema);
  if (def.type === 'pipe') return def.in;
  return def.innerType;
}

export function unwrap(schema: Schema): Schema {
  let current = schema;
  for (let next = unwrapOnce(current); next !== undefined; next = unwrapOnce(current)) current = next;
  return current;
}

/** The `.describe()` text nearest the field: on the field itself, or on the schema it wraps. */
function descriptionOf(schema: Schema): string | undefined {
  for (let current: Schema | undefined = schema; current !== undefined; current = unwrapOnce(current)) {
    const description = z.globalRegistry.get(current)?.description;
    if (description !== undefined) return description;
  }
  return undefined;
}

function defaultOf(schema: Schema): string {
  for (let current: Schema | undefined = schema; current !== undefined; current = unwrapOnce(current)) {
    const def = defOf(current);
    if (def.type === 'default') return formatValue(def.defaultValue);
    if (def.type === 'prefault') return '';
    if (def.type === 'optional') return 'unset';
  }
  return 'required';
}

function formatValue(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? 'none' : value.map(formatValue).join(', ');
  if (typeof value === 'number') return `\`${value}\``;
  return `\`${String(value)}\``;
}

const FORMAT_NAMES: Record<string, string> = {
  url: 'URL',
  ipv4: 'IPv4 address',
  ipv6: 'IPv6 address',
  cidrv4: 'IPv4 CIDR',
  cidrv6: 'IPv6 CIDR',
  datetime: 'ISO 8601 date-time',
};

const DURATION_RANGE = /must be a duration .* between (\S+) and (\S+)$/;

function durationRange(schema: Schema): string | undefined {
  for (const check of defOf(schema).checks ?? []) {
    const error = (check._zod.def as { error?: (issue: object) => unknown }).error;
    const match = typeof error === 'function' ? DURATION_RANGE.exec(String(error({}))) : null;
    if (match) return `duration (${match[1] === '0d' ? '0' : match[1]}–${match[2]})`;
  }
  return undefined;
}

interface NumberCheck {
  check: string;
  value?: number;
  inclusive?: boolean;
  format?: string;
}

function numberType(schema: Schema): string {
  let name = 'number';
  let min = '';
  let max = '';
  const number = (value: number) => String(value);
  for (const check of defOf(schema).checks ?? []) {
    const def = check._zod.def as unknown as NumberCheck;
    if (def.check === 'number_format' && def.format?.includes('int')) name = 'integer';
    if (def.check === 'greater_than' && def.value !== undefined) min = def.inclusive ? `${number(def.value)}` : `> ${number(def.value)}`;
    if (def.check === 'less_than' && def.value !== undefined) max = number(def.value);
  }
  if (min.startsWith('>')) return `${name} ${min}`;
  if (min !== '' && max !== '') return `${name} (${min}–${max})`;
  if (min !== '') return `${name} ≥ ${min}`;
  return name;
}

/** A short name for what a schema accepts, as a reader of the YAML or the environment writes it. */
export function typeOf(schema: Schema): string {
  const inner = unwrap(schema);
  const def = defOf(inner);
  switch (def.type) {
    case 'string': {
      const format = def.format !== undefined ? FORMAT_NAMES[def.format] : undefined;
      if (format === 'URL' && def.protocol !== undefined) return def.protocol.test('http') ? 'http(s) URL' : 'https URL';
      return format ?? durationRange(inner) ?? 'string';
    }
    case 'number':
      return numberType(inner);
    case 'boolean':
      return 'boolean';
    case 'enum': {
      const values = Object.values(def.entries ?? {}).map(String);
      if ([...values].sort().join() === '0,1,false,no,true,yes') return 'boolean (`true`/`false`, `1`/`0`, `yes`/`no`)';
      return `one of ${values.map((value) => `\`${value}\``).join(', ')}`;
    }
    case 'literal':
      return (def.values ?? []).map((value) => `\`${String(value)}\``).join(', ');
    case 'array':
      return isSection(def.element!) ? 'list of entries' : `list of ${typeOf(def.element!)}`;
    case 'union': {
      const names = [...new Set((def.options ?? []).map(typeOf))].join(' or ');
      return names.replace('IPv4 address or IPv6 address', 'IP address').replace('IPv4 CIDR or IPv6 CIDR', 'CIDR');
    }
    case 'object':
      return 'section';
    default:
      return def.type;
  }
}

const isSection = (schema: Schema) => defOf(unwrap(schema)).type === 'object';
const elementOf = (schema: Schema) => {
  const def = defOf(unwrap(schema));
  return def.type === 'array' ? def.element : undefined;
};

/** The fields of an object schema, its own first, then those of each nested section and list of sections. */
export function fieldsOf(schema: Schema, prefix = ''): Field[] {
  const shape = defOf(unwrap(schema)).shape ?? {};
  const fields: Field[] = [];
  const nested: Field[] = [];
  for (const [key, field] of Object.entries(shape)) {
    const path = prefix + key;
    const element = elementOf(field);
    fields.push({ path, type: typeOf(field), default: defaultOf(field), description: descriptionOf(field) });
    if (isSection(field)) nested.push(...fieldsOf(field, `${path}.`));
    else if (element !== undefined && isSection(element)) nested.push(...fieldsOf(element, `${path}[].`));
  }
  return [...fields, ...nested];
}
