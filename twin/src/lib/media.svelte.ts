/** A CSS media query as a reactive boolean (e.g. narrow screens get lists instead of the 3D hall). */
export class MediaQuery {
  matches = $state(false);
  private readonly mq: MediaQueryList | null;

  constructor(query: string) {
    this.mq = typeof matchMedia === 'function' ? matchMedia(query) : null;
    this.matches = this.mq?.matches ?? false;
  }

  /** Follows the query; returns the function that stops following. */
  watch(): () => void {
    const onChange = (e: MediaQueryListEvent) => (this.matches = e.matches);
    this.mq?.addEventListener('change', onChange);
    return () => this.mq?.removeEventListener('change', onChange);
  }
}

/** Below this width the hall is a list of tiles only (issue 14: usable at 360 px). */
export const narrowQuery = '(max-width: 720px)';
