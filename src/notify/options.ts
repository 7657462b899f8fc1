/**
 * Schema pieces the channels share, so a URL, a secret name or a timeout is written and checked
 * the same way in every channel's options.
 */
import { z } from 'zod';
import { duration } from '../core/schema.ts';

/** An absolute http:// or https:// URL, checked when the config loads. */
export function httpUrl(description: string) {
  return z
    .string()
    .refine((v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
      } catch {
        return false;
      }
    }, 'expected an http:// or https:// URL')
    .meta({ description });
}

/** The name of a secret under `secrets:` (never the value itself). */
export const secretName = (description: string) => z.string().min(1, 'expected the name of a secret').meta({ description });

/** How long one attempt may take. @defaultValue 10s */
export const attemptTimeout = () => duration('how long one delivery attempt may take').default(10_000);

/** How many redirects a channel follows before giving up. @defaultValue 3 */
export const maxRedirects = () => z.number().int().min(0).max(10).default(3).meta({ description: 'redirects to follow (same origin only) before giving up' });

/** Reads an http(s) URL from a secret; a bad value is a failure with the secret's name, never its value. */
export function urlFromSecret(value: string, name: string): URL {
  let u: URL;
  try {
    u = new URL(value.trim());
  } catch {
    throw new Error(`secret "${name}" is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`secret "${name}" is not an http(s) URL`);
  return u;
}
