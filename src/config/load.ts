import { readFileSync } from 'node:fs';
import * as z from 'zod';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { parseDuration } from '../contracts/duration.js';
import { connectorFor, connectorTypes } from '../sources/registry.js';
import type { SourceCommonConfig } from '../sources/source-config.js';
import { EnvSchema, type Env } from './env.js';
import { FileConfigSchema, type FileConfig } from './file-schema.js';
import { interpolateEnv, MissingVariableError } from './interpolate.js';

/** A configuration problem; `problems` each name the variable or YAML path at fault. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export interface AppConfig {
  env: Env;
  file: Omit<FileConfig, 'sources'>;
  sources: SourceCommonConfig[];
  defaults: { durationMs: number; pollIntervalMs: number; baselineMs: number; slackChannel?: string };
}

const describe = (prefix: string, issues: readonly z.core.$ZodIssue[]): string[] =>
  issues.map((issue) => {
    const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
    return `${path || '(root)'}: ${issue.message}`;
  });

/** Reads env and the optional YAML file; throws ConfigError listing every problem at once. */
export function loadConfig(processEnv: NodeJS.ProcessEnv = process.env): AppConfig {
  // An empty variable (`FOO=` in .env, `${FOO:-}` in compose) means "not set", not "set to nothing".
  const envResult = EnvSchema.safeParse(Object.fromEntries(Object.entries(processEnv).filter(([, value]) => value !== '')));
  if (!envResult.success) throw new ConfigError(describe('', envResult.error.issues));
  const env = envResult.data;

  let raw: unknown = {};
  if (env.CW_CONFIG) raw = readYaml(env.CW_CONFIG, processEnv);
  const fileResult = FileConfigSchema.safeParse(raw ?? {});
  if (!fileResult.success) throw new ConfigError(describe('', fileResult.error.issues));
  const { sources: rawSources, ...file } = fileResult.data;

  const problems: string[] = [];
  const sources: SourceCommonConfig[] = [];
  rawSources.forEach((rawSource, index) => {
    const connector = connectorFor(rawSource.type);
    if (!connector) {
      problems.push(`sources.${index}.type: unknown source type "${rawSource.type}" (known: ${connectorTypes().join(', ')})`);
      return;
    }
    const parsed = connector.configSchema.safeParse(rawSource);
    if (parsed.success) sources.push(parsed.data);
    else problems.push(...describe(`sources.${index}`, parsed.error.issues));
  });
  const ids = sources.map((source) => source.id);
  ids.forEach((id, index) => {
    if (ids.indexOf(id) !== index) problems.push(`sources.${index}.id: duplicate source id "${id}"`);
  });
  if (problems.length) throw new ConfigError(problems);

  return {
    env,
    file,
    sources,
    defaults: {
      durationMs: parseDuration(file.defaults.duration) ?? 0,
      pollIntervalMs: parseDuration(file.defaults.poll_interval) ?? 0,
      baselineMs: parseDuration(file.defaults.baseline) ?? 0,
      slackChannel: file.defaults.slack_channel ?? env.SLACK_DEFAULT_CHANNEL,
    },
  };
}

function readYaml(path: string, processEnv: NodeJS.ProcessEnv): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([`CW_CONFIG: cannot read ${path}: ${(error as Error).message}`]);
  }
  try {
    return interpolateEnv(parseYaml(text), processEnv);
  } catch (error) {
    if (error instanceof MissingVariableError) throw new ConfigError([error.message]);
    if (error instanceof YAMLParseError) throw new ConfigError([`${path}: ${error.message}`]);
    throw error;
  }
}
