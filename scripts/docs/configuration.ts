import { EnvSchema } from '../../src/config/env.js';
import { FileConfigSchema } from '../../src/config/file-schema.js';
import { redisEnvFields } from '../../src/config/redis-env.js';
import { connectorTypes, connectorFor } from '../../src/sources/registry.js';
import { SourceCommonConfigSchema } from '../../src/sources/source-config.js';
import { GENERATED_NOTICE, table } from './markdown.js';
import { fieldsOf, type Field } from './zod-fields.js';

export const environmentFields = (): Field[] => fieldsOf(EnvSchema);
/** `sources[]` is validated per type, so its fields are documented per type, not from the file schema's placeholder. */
export const fileFields = (): Field[] => fieldsOf(FileConfigSchema).filter((field) => !field.path.startsWith('sources[].'));
export const commonSourceFields = (): Field[] => fieldsOf(SourceCommonConfigSchema);

/** A connector's own fields, and the common ones whose type, default or meaning it changes. */
export function sourceTypeFields(type: string): Field[] {
  const common = new Map(commonSourceFields().map((field) => [field.path, field]));
  return fieldsOf(connectorFor(type)!.configSchema).filter((field) => {
    const shared = common.get(field.path);
    if (field.path === 'type') return false;
    return shared === undefined || JSON.stringify(shared) !== JSON.stringify(field);
  });
}

/** Every documented field, for the test that each one says what it means. */
export const allFields = (): Field[] => [
  ...environmentFields(),
  ...fileFields(),
  ...commonSourceFields(),
  ...connectorTypes().flatMap((type) => sourceTypeFields(type).map((field) => ({ ...field, path: `${type}: ${field.path}` }))),
];

const REDIS_VARIABLES = new Set(Object.keys(redisEnvFields));

const fieldTable = (fields: Field[], name: string) =>
  table(
    [name, 'Type', 'Default', 'Meaning'],
    fields.map((field) => [`\`${field.path}\``, field.type, field.default, field.description ?? '']),
  );

export function renderConfiguration(): string {
  const environment = environmentFields();
  const file = fileFields();
  const topLevel = file.filter((field) => !field.path.includes('.') && !field.path.includes('[]'));
  const sections = topLevel.filter((field) => field.path !== 'sources');
  return [
    '# Configuration',
    '',
    GENERATED_NOTICE('npm run docs:config', 'the zod schemas (`src/config/`, `src/detect/settings.ts`, `src/baseline/settings.ts`, `src/sources/*/config.ts`)'),
    '',
    'Two places: environment variables (secrets, where Redis and the API are, Slack) and `containment-watch.yaml`',
    '(sources, detection, baselines, Slack interactivity), named by `CW_CONFIG`. A bad value in either stops start-up',
    'with a message naming the variable or the YAML path (`sources.0.max_hosts_per_qery: unknown field`), every',
    'problem at once. An empty variable (`FOO=` in `.env`) counts as unset.',
    '',
    '## Environment',
    '',
    fieldTable(environment.filter((field) => !REDIS_VARIABLES.has(field.path)), 'Variable'),
    '',
    '### Redis',
    '',
    'Set exactly one of `REDIS_URL`, `REDIS_SENTINELS` and `REDIS_CLUSTER_NODES`; two at once, or a companion',
    'variable without its topology, stops start-up naming the variable. Deployment notes: [running.md](running.md#redis-deployments).',
    '',
    fieldTable(environment.filter((field) => REDIS_VARIABLES.has(field.path)), 'Variable'),
    '',
    '## containment-watch.yaml',
    '',
    '`${VAR}` and `${VAR:-default}` are replaced from the environment after the YAML is parsed (a secret cannot',
    'change the document\'s structure). Every key is optional; an unknown key is an error. A complete example:',
    '[`containment-watch.example.yaml`](../containment-watch.example.yaml).',
    '',
    '### Top level',
    '',
    fieldTable(topLevel, 'Key'),
    '',
    ...sections.flatMap((section) => {
      const fields = file.filter((field) => field.path.startsWith(`${section.path}.`) || field.path.startsWith(`${section.path}[].`));
      return fields.length === 0 ? [] : [`### \`${section.path}\``, '', section.description ?? '', '', fieldTable(fields, 'Key'), ''];
    }),
    '## Sources',
    '',
    'Each entry of `sources` is validated by the schema of its `type`. Every type has the common fields; the',
    'sections after them list each type\'s own fields and the common ones whose default it changes. How each vendor',
    'is read, its permissions and the cost of each read: [sources/](sources/README.md).',
    '',
    '### Common fields',
    '',
    fieldTable(commonSourceFields(), 'Key'),
    '',
    ...connectorTypes().flatMap((type) => [
      `### \`type: ${type}\``,
      '',
      `The common fields, and these. See [sources/${type}.md](sources/${type}.md).`,
      '',
      fieldTable(sourceTypeFields(type), 'Key'),
      '',
    ]),
  ].join('\n');
}

export const CONFIGURATION_DOC = new URL('../../docs/configuration.md', import.meta.url);
