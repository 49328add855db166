/**
 * How many columns the andon board uses: the grid whose tiles come closest to the shape the tile's
 * content wants (about 2.5 : 1, a name line over a state line over a count line). On a 1920×1080
 * screen the plant's 11 machines get 3 × 4 tiles of 632 × 247 px, which holds a 100 px state word
 * and count (issue 14: readable at 10 m on a 55" screen).
 */
export const tileAspect = 2.56;

export function andonColumns(n: number, width: number, height: number): number {
  if (n <= 1 || width <= 0 || height <= 0) return 1;
  let best = 1, bestScore = Infinity;
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const aspect = width / cols / (height / rows);
    const score = Math.abs(Math.log(aspect / tileAspect));
    if (score < bestScore) [best, bestScore] = [cols, score];
  }
  return best;
}
