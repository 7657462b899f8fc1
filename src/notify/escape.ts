/**
 * Outside text made inert for each chat's notation. Everything in a composed message is treated
 * as plain text here: plugin output, log lines, host names and whois records may be written by
 * an attacker (issue 12), and a message must never page a whole room, link somewhere disguised
 * or break the channel's own frame around it. mamoru's own markup (a bold title, an [info] box)
 * is added by the channel file around the escaped text, never inside it.
 *
 * Each function is pure and one pass over the text (no regular expression that can backtrack),
 * and keeps every visible character readable. Teams has no function here: its card carries the
 * text in TextRuns, which Adaptive Cards never read as markdown (teams.ts).
 */

const SLACK: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Slack mrkdwn: `&`, `<` and `>` as HTML entities, Slack's documented escaping ("formatting text
 * for app surfaces"). Without a `<` no mention (`<!channel>`, `<@U123>`) or link (`<url|text>`)
 * can be written; `*bold*` and the like stay cosmetic, so they are left as they are.
 */
export function slackText(s: string): string {
  return s.replace(/[&<>]/g, (c) => SLACK[c]!);
}

// Markdown Discord reads anywhere in a line; a backslash before any punctuation shows it as is.
const DISCORD_ANYWHERE = new Set(['\\', '*', '_', '~', '|', '`', '[', ']', '<', '>']);
// Markdown Discord reads only at the start of a line: headings, subtext (-#), lists, quotes.
const DISCORD_LINE_START = new Set(['#', '-', '+']);

const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';

/** `@everyone` / `@here` at `i` (the character after the `@`), in any case. */
function massMention(s: string, i: number): boolean {
  const word = (w: string) => s.slice(i, i + w.length).toLowerCase() === w;
  return word('everyone') || word('here');
}

/**
 * Discord markdown: a backslash before each markdown character (Discord shows the character and
 * hides the backslash), line-start markers included (`# `, `- `, `1. `), and a zero-width space
 * after the `@` of `@everyone` / `@here`, as Discord's own clients do to quote a mention. `<` is
 * escaped, so `<@123>`, `<#123>`, `<t:…>` and `<https://…>` are text. The payload also sends
 * `allowed_mentions: { parse: [] }`, so even a mention this missed cannot ping.
 */
export function discordText(s: string): string {
  const out: string[] = [];
  let lineStart = true; // nothing but blanks since the line began
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\n') {
      out.push(c);
      lineStart = true;
      continue;
    }
    if (lineStart && (c === ' ' || c === '\t')) {
      out.push(c);
      continue;
    }
    if (lineStart && isDigit(c)) {
      // "12. text" is a numbered list; the dot after the digits is what makes it one.
      let j = i;
      while (isDigit(s[j])) j++;
      out.push(s.slice(i, j));
      if (s[j] === '.') {
        out.push('\\.');
        j++;
      }
      i = j - 1;
      lineStart = false;
      continue;
    }
    if (DISCORD_ANYWHERE.has(c) || (lineStart && DISCORD_LINE_START.has(c))) out.push('\\', c);
    else if (c === '@' && massMention(s, i + 1)) out.push('@\u200b');
    else out.push(c);
    lineStart = false;
  }
  return out.join('');
}

/**
 * ChatWork notation: every tag (`[toall]`, `[To:1]`, `[rp …]`, `[info]`, `[/info]`, `[code]`,
 * `[qt]`, `[piconname:…]`, `[hr]` …) is written between ASCII square brackets, and ChatWork
 * documents no escape. The brackets become full-width `［` `］`: a tag can no longer open or close
 * (nor end mamoru's own [info] box early), the text reads the same (full-width brackets are
 * ordinary in Japanese writing), and unlike a zero-width space inserted after `[`, it does not
 * depend on ChatWork keeping invisible characters.
 */
export function chatworkText(s: string): string {
  return s.replace(/[[\]]/g, (c) => (c === '[' ? '［' : '］'));
}
