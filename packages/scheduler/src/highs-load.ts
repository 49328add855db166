import * as highsModule from 'highs';
import type { HighsLike } from './highs-bound.js';

/** Loads HiGHS (WebAssembly, a few MB): once per process, for lowerBoundHighs. */
export async function loadHighs(): Promise<HighsLike> {
  // highs types itself as CommonJS over an ES module build: the loader is `default` at run time
  const exported = highsModule.default as unknown as (() => Promise<HighsLike>) | { default: () => Promise<HighsLike> };
  return typeof exported === 'function' ? exported() : exported.default();
}
