/**
 * Light and dark theme: the user's choice (light, dark, or the system's), remembered in localStorage,
 * applied as <html data-theme>. Colours live in theme.css as custom properties; the 3D hall reads the
 * same tokens (`cssColor`) so both follow one palette.
 */
export type ThemeChoice = 'light' | 'dark' | 'system';
export type Theme = 'light' | 'dark';
const storageKey = 'pt-theme';

export class ThemeStore {
  choice = $state<ThemeChoice>('system');
  private systemDark = $state(false);
  theme = $derived<Theme>(this.choice === 'system' ? (this.systemDark ? 'dark' : 'light') : this.choice);

  start(): () => void {
    const stored = safeStorage()?.getItem(storageKey);
    if (stored === 'light' || stored === 'dark' || stored === 'system') this.choice = stored;
    const mq = typeof matchMedia === 'function' ? matchMedia('(prefers-color-scheme: dark)') : null;
    this.systemDark = mq?.matches ?? false;
    const onChange = (e: MediaQueryListEvent) => (this.systemDark = e.matches);
    mq?.addEventListener('change', onChange);
    return () => mq?.removeEventListener('change', onChange);
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    safeStorage()?.setItem(storageKey, choice);
  }

  /** light → dark → system → light */
  cycle(): void {
    this.set(this.choice === 'light' ? 'dark' : this.choice === 'dark' ? 'system' : 'light');
  }
}

function safeStorage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** A theme colour token's current value (e.g. cssColor('--c-alarm')). */
export function cssColor(token: string, el: Element = document.documentElement): string {
  return getComputedStyle(el).getPropertyValue(token).trim() || '#808080';
}

export const theme = new ThemeStore();
