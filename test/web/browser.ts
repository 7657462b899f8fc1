/**
 * Debian's Chromium driven by playwright-core, for the console's browser tests: a fresh profile
 * per browser, the flags CI needs, a login through the real form, and screenshots saved under
 * test-artifacts/screenshots/ (gitignored) for a person to look at.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.MAMORU_CHROMIUM ?? '/usr/bin/chromium';
export const SHOTS = join(process.cwd(), 'test-artifacts', 'screenshots');

export interface Browser {
  context: BrowserContext;
  /** A new tab. */
  page(): Promise<Page>;
  close(): Promise<void>;
}

/** Starts Chromium headless with a fresh user-data-dir; `locale`/`timezoneId` as a reader's browser would have them. */
export async function openBrowser(opts: { locale?: string; timezoneId?: string } = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'mamoru-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
    locale: opts.locale ?? 'en-GB',
    timezoneId: opts.timezoneId ?? 'UTC',
    viewport: { width: 1280, height: 900 },
  });
  return {
    context,
    page: () => context.newPage(),
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Logs in through the login form as a person would; resolves on the page the form leads to. */
export async function logIn(page: Page, url: string, name: string, password: string): Promise<void> {
  await page.goto(`${url}/login`);
  await page.fill('#name', name);
  await page.fill('#password', password);
  await Promise.all([page.waitForURL((u) => !u.pathname.startsWith('/login')), page.click('button[type=submit]')]);
}

/** Saves a full-page screenshot as test-artifacts/screenshots/NAME.png. */
export async function shot(page: Page, name: string): Promise<string> {
  mkdirSync(SHOTS, { recursive: true });
  const path = join(SHOTS, `${name.replace(/[^a-z0-9._-]/gi, '-')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
