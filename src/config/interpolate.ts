/** Thrown when a `${VAR}` in the YAML names a variable that is not set. */
export class MissingVariableError extends Error {
  constructor(
    readonly variable: string,
    readonly path: string,
  ) {
    super(`${path}: environment variable ${variable} is not set`);
  }
}

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string of a parsed YAML document. Substitution happens
 * after parsing, so a secret containing YAML syntax can never change the document's structure.
 */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const resolved = env[name] ?? fallback;
      if (resolved === undefined) throw new MissingVariableError(name, path || '(root)');
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, index) => interpolateEnv(item, env, join(path, String(index))));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, join(path, key))]),
    );
  }
  return value;
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);
