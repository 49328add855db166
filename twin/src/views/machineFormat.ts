import type { PlantTag } from '../lib/api/types.js';
import { t } from '../lib/i18n/index.js';

/**
 * Key parameters are the process values, setpoints and the cycle time; the other role tags (state,
 * counters, alarm code, job, part, heartbeat, clock) are shown as what they mean elsewhere on the page.
 */
export function isKeyParameter(tag: PlantTag): boolean {
  return !tag.role || tag.role === 'setpoint' || tag.role === 'cycle_time';
}

/** A tag value for people: numbers with at most 3 significant decimals, booleans as On/Off. */
export function formatValue(v: number | string | boolean | null): string {
  if (v === null) return t('value.none');
  if (typeof v === 'boolean') return v ? t('value.true') : t('value.false');
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return t('value.none');
    const abs = Math.abs(v);
    const digits = Number.isInteger(v) ? 0 : abs >= 100 ? 1 : abs >= 1 ? 2 : 3;
    return v.toFixed(digits);
  }
  return v;
}

/** "0 – 4000", "≥ 0", "≤ 600" or nothing. */
export function limitsText(l: { min?: number | undefined; max?: number | undefined } | undefined): string {
  if (!l) return '';
  if (l.min !== undefined && l.max !== undefined) return `${l.min} – ${l.max}`;
  if (l.min !== undefined) return `≥ ${l.min}`;
  if (l.max !== undefined) return `≤ ${l.max}`;
  return '';
}
