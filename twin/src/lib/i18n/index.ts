import { catalogues, en, type Catalogue, type MessageKey } from './messages.js';

export type { MessageKey } from './messages.js';
export type Params = Record<string, string | number>;

let active: Catalogue = en;

/** Picks the catalogue for a language (falls back to English). */
export function setLanguage(lang: string): void {
  active = catalogues[lang] ?? catalogues[lang.split('-')[0] ?? ''] ?? en;
}

/** The message for `key` with `{name}` parameters filled in. */
export function t(key: MessageKey, params?: Params): string {
  const text = active[key] ?? en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (m, name: string) => (name in params ? String(params[name]) : m));
}

/** True when `key` names a message (for keys built from data, e.g. `state.${state}`). */
export function hasMessage(key: string): key is MessageKey {
  return key in active || key in en;
}
