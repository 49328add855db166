import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse } from 'svelte/compiler';
import { describe, expect, it } from 'vitest';
import { en } from './messages.js';
import { t } from './index.js';

/**
 * Every string a user reads comes from the catalogue (issue 14). This parses every component of the
 * twin and reports text in markup, and in the attributes people read (title, aria-label, placeholder,
 * alt), that holds words without going through t(). Numbers, punctuation and symbols may stay.
 */
const srcDir = join(process.cwd().endsWith('twin') ? process.cwd() : join(process.cwd(), 'twin'), 'src');
const spokenAttributes = new Set(['title', 'aria-label', 'aria-description', 'aria-roledescription', 'aria-valuetext', 'placeholder', 'alt', 'label']);
const words = /\p{L}{2,}/u;

function svelteFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? svelteFiles(join(dir, e.name)) : e.name.endsWith('.svelte') ? [join(dir, e.name)] : [],
  );
}

type Node = { type?: string; [k: string]: unknown };

/** Literal text a user would read in a component's markup, with where it is. */
export function literalsIn(source: string): string[] {
  const ast = parse(source, { modern: true }) as unknown as { fragment: Node };
  const found: string[] = [];
  const literal = (e: Node | undefined) =>
    (e?.type === 'Literal' && typeof e.value === 'string' && words.test(e.value)) ||
    (e?.type === 'TemplateLiteral' && (e.quasis as { value: { cooked: string } }[]).some((q) => words.test(q.value.cooked)));
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) return node.forEach(visit);
    if (!node || typeof node !== 'object') return;
    const n = node as Node;
    if (n.type === 'Text' && words.test(String(n.data))) found.push(String(n.data).trim());
    if (n.type === 'ExpressionTag' && literal(n.expression as Node)) found.push(source.slice(n.start as number, n.end as number));
    if (String(n.type).endsWith('Directive')) return; // style:, class:, bind:, use:… are not read
    if (n.type === 'Attribute') {
      if (!spokenAttributes.has(String(n.name))) return;
      const parts = Array.isArray(n.value) ? (n.value as Node[]) : [n.value as Node];
      for (const p of parts) {
        if (p?.type === 'Text' && words.test(String(p.data))) found.push(`${String(n.name)}="${String(p.data)}"`);
        if (p?.type === 'ExpressionTag' && literal(p.expression as Node)) found.push(`${String(n.name)}=${source.slice(p.start as number, p.end as number)}`);
      }
      return;
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'expression' && k !== 'metadata') visit(v);
  };
  visit(ast.fragment);
  return found;
}

describe('message catalogue', () => {
  it('finds literal text where it is (the check itself)', () => {
    expect(literalsIn('<p>Hello world</p>')).toEqual(['Hello world']);
    expect(literalsIn('<button title="Close it" class="btn x-y">{t("a")}</button>')).toEqual(['title="Close it"']);
    expect(literalsIn("<span>{'Running'}</span><i aria-label={`Open ${x}`}></i>")).toEqual(["{'Running'}", 'aria-label={`Open ${x}`}']);
    expect(literalsIn('<span class="tone-{x}" style:transform="translate({x}px)">{n} · {m} %</span><b>–</b>')).toEqual([]);
  });

  it('holds every string a component shows: no literal text in any component of the twin', () => {
    const offenders = svelteFiles(srcDir).flatMap((f) => literalsIn(readFileSync(f, 'utf8')).map((l) => `${relative(srcDir, f)}: ${l}`));
    expect(offenders).toEqual([]);
  });

  it('fills parameters and leaves unknown ones visible', () => {
    expect(t('state.nodataSince', { time: '06:00:00' })).toBe('No data since 06:00:00');
    expect(t('machine.progress', { good: 3 })).toBe('3 of {quantity}');
    expect(Object.values(en).every((s) => s.trim().length > 0)).toBe(true);
  });
});
