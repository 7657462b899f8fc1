/**
 * The mamoru configs of bench/scale: N checks every interval, tcp and http mixed, spread round
 * robin over the listener pairs, grouped into targets by address (at most 5,000 checks a target).
 * The scheduler's jitter is set to 0 so that each run's due slot is its id's phase alone and the
 * stored results can be held against it (store-lag.ts).
 */
import { writeFileSync } from 'node:fs';
import type { Listener } from './listeners.ts';

/** One configured size: `checks` every `intervalS` seconds. */
export interface Size {
  checks: number;
  intervalS: number;
  label: string;
}

/** "10000/60s", "100000/5m", "1000000/5m" → Size. */
export function parseSize(s: string): Size {
  const m = /^(\d[\d_,]*)\/(\d+)(s|m)$/.exec(s.trim());
  if (!m) throw new Error(`--sizes: expected CHECKS/INTERVAL like 10000/60s or 100000/5m, got "${s}"`);
  const checks = Number(m[1]!.replace(/[_,]/g, ''));
  const intervalS = Number(m[2]) * (m[3] === 'm' ? 60 : 1);
  if (!(checks >= 1 && checks <= 2_000_000) || !(intervalS >= 1 && intervalS <= 3600)) throw new Error(`--sizes: ${s} is out of range (1-2,000,000 checks, 1 s-1 h)`);
  return { checks, intervalS, label: `${checks.toLocaleString('en-US')} / ${intervalS % 60 === 0 ? `${intervalS / 60} min` : `${intervalS} s`}` };
}

/** Checks per second the size demands. */
export const demand = (s: Size) => s.checks / s.intervalS;

/**
 * Scheduler limits for a demand: about 0.1 s of runs in flight at once (a loopback check takes
 * ~1 ms, so this leaves room for runs slowed by a busy loop), at least the default 64; the
 * per-address limit twice an even share over the addresses, so no address holds runs back.
 */
export function limitsFor(size: Size, addresses: number): { concurrency: number; perHost: number } {
  const concurrency = Math.min(10_000, Math.max(64, Math.ceil(demand(size) * 0.1)));
  const perHost = Math.min(1000, Math.max(4, Math.ceil((2 * concurrency) / addresses)));
  return { concurrency, perHost };
}

export interface WrittenConfig {
  file: string;
  bytes: number;
  tcp: number;
  http: number;
  targets: number;
  concurrency: number;
  perHost: number;
}

const PER_TARGET = 5000;

/** Writes the config of `size` to `file`; the store and the CLI token live in `dataDir`. */
export function writeConfig(file: string, o: { size: Size; pairs: Listener[]; httpFraction: number; dataDir: string; webPort: number }): WrittenConfig {
  const addresses = [...new Set(o.pairs.map((p) => p.address))];
  const { concurrency, perHost } = limitsFor(o.size, addresses.length);
  const byAddress = new Map<string, string[]>(addresses.map((a) => [a, []]));
  let http = 0;
  for (let i = 0; i < o.size.checks; i++) {
    const pair = o.pairs[i % o.pairs.length]!;
    // Evenly interleaved: check i is http when the running share of http steps up at i.
    const isHttp = Math.floor((i + 1) * o.httpFraction) > Math.floor(i * o.httpFraction);
    if (isHttp) http++;
    byAddress.get(pair.address)!.push(`      - {type: ${isHttp ? 'http' : 'tcp'}, name: c${i}, port: ${pair.port}}`);
  }
  const out = [
    `defaults: { interval: ${o.size.intervalS}s, retry_interval: ${o.size.intervalS}s, timeout: 5s }`,
    `scheduler: { concurrency: ${concurrency}, per_host_concurrency: ${perHost}, jitter: 0 }`,
    `store: { type: sqlite, path: ${o.dataDir}/mamoru.db }`,
    `web: { host: 127.0.0.1, port: ${o.webPort} }`,
    'log: { level: info }',
    'targets:',
  ];
  let targets = 0;
  for (const [address, checks] of byAddress) {
    for (let k = 0; k < checks.length; k += PER_TARGET) {
      out.push(`  - name: t${targets++}`, `    address: ${address}`, '    checks:', ...checks.slice(k, k + PER_TARGET));
    }
  }
  const text = `${out.join('\n')}\n`;
  writeFileSync(file, text);
  return { file, bytes: Buffer.byteLength(text), tcp: o.size.checks - http, http, targets, concurrency, perHost };
}

/** The 1-check daemon whose RSS is subtracted: one tcp check every 10 s. */
export function writeBaselineConfig(file: string, o: { pair: Listener; dataDir: string; webPort: number }): void {
  writeFileSync(
    file,
    [
      'defaults: { interval: 10s, timeout: 5s }',
      `store: { type: sqlite, path: ${o.dataDir}/mamoru.db }`,
      `web: { host: 127.0.0.1, port: ${o.webPort} }`,
      'log: { level: info }',
      'targets:',
      `  - { name: t0, address: ${o.pair.address}, checks: [{type: tcp, name: c0, port: ${o.pair.port}}] }`,
      '',
    ].join('\n'),
  );
}
