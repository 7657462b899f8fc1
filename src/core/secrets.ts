/**
 * Secrets (passwords, SNMP communities, tokens) are named in the config and read from a file or
 * an environment variable when a probe needs them, so their values are never in the config
 * text, the store's config revisions, the logs or the dashboard.
 */
import { readFileSync } from 'node:fs';

export type SecretSource = { env: string } | { file: string };

export class SecretError extends Error {
  constructor(readonly secret: string, reason: string) {
    super(`secret "${secret}": ${reason}`);
    this.name = 'SecretError';
  }
}

/** Looks a secret up by name; throws SecretError with what to fix. */
export type SecretLookup = (name: string) => string;

/** Secrets from the config's `secrets:` section. A file's trailing newline is not part of the value. */
export function secretsFrom(sources: Record<string, SecretSource>): SecretLookup {
  return (name) => {
    const src = sources[name];
    if (!src) throw new SecretError(name, 'not defined; add it under "secrets:" in the config');
    if ('env' in src) {
      const v = process.env[src.env];
      if (v === undefined) throw new SecretError(name, `environment variable ${src.env} is not set`);
      return v;
    }
    try {
      return readFileSync(src.file, 'utf8').replace(/\r?\n$/, '');
    } catch (e) {
      throw new SecretError(name, `cannot read ${src.file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
}

/**
 * For `mamoru check` on the command line: secret NAME comes from the environment variable
 * MAMORU_SECRET_NAME (upper case, "-" and "." as "_"), never from an argument `ps` would show.
 */
export const secretsFromEnv: SecretLookup = (name) => {
  const variable = `MAMORU_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;
  const v = process.env[variable];
  if (v === undefined) throw new SecretError(name, `set the environment variable ${variable}`);
  return v;
};
