import { t } from '../lib/i18n/index.js';
import type { PlantClockFormat } from '../lib/time.js';
import { barsIn, ticks, type GanttBar, type GanttModel, type TimeScale } from './gantt.js';

/**
 * Draws the Gantt chart: only the rows and bars inside the view. Grey by default; colour only where a job
 * is at risk (amber) or late (red), each with its glyph and word; changeovers as striped pieces before a
 * run, non-working time hatched, planned maintenance labelled, the plan's "now" as a line.
 */
export const layout = { labelW: 132, axisH: 44, rowH: 40, barH: 26 } as const;

export interface DragView {
  jobId: string;
  row: number;
  ms: number;
  position: number;
}

export interface DrawInput {
  model: GanttModel;
  scale: TimeScale;
  view: { left: number; top: number; width: number; height: number };
  format: PlantClockFormat;
  now: number;
  selected: string | null;
  focus: string | null;
  drag: DragView | null;
  /** a job picked up with the keyboard, and where it would go */
  moving: { jobId: string; row: number; position: number } | null;
  /** machines the dragged or picked-up job may go to */
  eligible: ReadonlySet<string> | null;
  stepMs: number;
  label: (b: GanttBar) => string;
}

type Palette = Record<'bg' | 'alt' | 'border' | 'strong' | 'text' | 'dim' | 'bar' | 'setup' | 'warn' | 'warnFg' | 'alarm' | 'alarmFg' | 'info' | 'infoBg' | 'hatch' | 'focus' | 'accent', string>;

function palette(el: Element): Palette {
  const s = getComputedStyle(el);
  const v = (name: string) => s.getPropertyValue(name).trim() || '#808080';
  return {
    bg: v('--c-surface'),
    alt: v('--c-surface-2'),
    border: v('--c-border'),
    strong: v('--c-border-strong'),
    text: v('--c-text'),
    dim: v('--c-text-dim'),
    bar: v('--c-equipment'),
    setup: v('--c-equipment-dark'),
    warn: v('--c-warn'),
    warnFg: v('--c-warn-fg'),
    alarm: v('--c-alarm'),
    alarmFg: v('--c-alarm-fg'),
    info: v('--c-info'),
    infoBg: v('--c-info-bg'),
    hatch: v('--c-hatch'),
    focus: v('--c-focus'),
    accent: v('--c-accent'),
  };
}

function hatch(ctx: CanvasRenderingContext2D, colour: string): CanvasPattern | string {
  const tile = new OffscreenCanvas(8, 8);
  const c = tile.getContext('2d');
  if (!c) return colour;
  c.strokeStyle = colour;
  c.lineWidth = 1.5;
  c.beginPath();
  c.moveTo(0, 8);
  c.lineTo(8, 0);
  c.moveTo(-2, 2);
  c.lineTo(2, -2);
  c.moveTo(6, 10);
  c.lineTo(10, 6);
  c.stroke();
  return ctx.createPattern(tile, 'repeat') ?? colour;
}

/** glyphs beside a job's label: the status (never colour alone), lock, running, frozen */
function glyph(ctx: CanvasRenderingContext2D, kind: 'late' | 'atrisk' | 'lock' | 'running' | 'frozen', x: number, y: number, colour: string): number {
  ctx.save();
  ctx.strokeStyle = colour;
  ctx.fillStyle = colour;
  ctx.lineWidth = 1.6;
  ctx.beginPath();
  if (kind === 'late') {
    ctx.moveTo(x + 6, y - 6);
    ctx.lineTo(x + 12, y + 5);
    ctx.lineTo(x, y + 5);
    ctx.closePath();
    ctx.stroke();
    ctx.fillRect(x + 5.3, y - 2, 1.4, 4);
    ctx.fillRect(x + 5.3, y + 3, 1.4, 1.2);
  } else if (kind === 'atrisk') {
    ctx.arc(x + 6, y, 5.5, 0, Math.PI * 2);
    ctx.moveTo(x + 6, y - 3);
    ctx.lineTo(x + 6, y);
    ctx.lineTo(x + 8.5, y + 2);
    ctx.stroke();
  } else if (kind === 'lock') {
    ctx.strokeRect(x + 1.5, y - 1, 9, 6.5);
    ctx.moveTo(x + 3.5, y - 1);
    ctx.arc(x + 6, y - 2.5, 2.5, Math.PI, 0);
    ctx.lineTo(x + 8.5, y - 1);
    ctx.stroke();
  } else if (kind === 'running') {
    ctx.moveTo(x + 2, y - 5);
    ctx.lineTo(x + 10, y);
    ctx.lineTo(x + 2, y + 5);
    ctx.closePath();
    ctx.fill();
  } else {
    for (const a of [0, Math.PI / 3, (2 * Math.PI) / 3]) {
      ctx.moveTo(x + 6 + 5 * Math.cos(a), y + 5 * Math.sin(a));
      ctx.lineTo(x + 6 - 5 * Math.cos(a), y - 5 * Math.sin(a));
    }
    ctx.stroke();
  }
  ctx.restore();
  return 14;
}

export function drawGantt(canvas: HTMLCanvasElement, d: DrawInput): void {
  const { model, scale, view } = d;
  const dpr = window.devicePixelRatio || 1;
  const w = Math.max(1, Math.round(view.width));
  const h = Math.max(1, Math.round(view.height));
  if (canvas.width !== w * dpr || canvas.height !== h * dpr) {
    canvas.width = w * dpr;
    canvas.height = h * dpr;
  }
  const ctx = canvas.getContext('2d');
  if (!ctx) return;
  const p = palette(canvas);
  const { labelW, axisH, rowH, barH } = layout;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = p.bg;
  ctx.fillRect(0, 0, w, h);
  ctx.font = '12px system-ui, sans-serif';
  ctx.textBaseline = 'middle';

  const from = scale.ms(view.left);
  const to = scale.ms(view.left + w - labelW);
  const X = (ms: number) => labelW + scale.x(ms) - view.left;
  const firstRow = Math.max(0, Math.floor(view.top / rowH));
  const lastRow = Math.min(model.rows.length - 1, Math.ceil((view.top + h - axisH) / rowH));
  const offFill = hatch(ctx, p.hatch);
  const setupFill = hatch(ctx, p.setup);
  const stepTicks = ticks(from, to, d.stepMs, d.format.offsetMin);

  ctx.save();
  ctx.beginPath();
  ctx.rect(labelW, axisH, w - labelW, h - axisH);
  ctx.clip();
  for (let r = firstRow; r <= lastRow; r++) {
    const row = model.rows[r]!;
    const y = axisH + r * rowH - view.top;
    if (r % 2) {
      ctx.fillStyle = p.alt;
      ctx.fillRect(labelW, y, w - labelW, rowH);
    }
    for (const o of row.off) {
      if (o.to < from || o.from > to) continue;
      const x0 = X(o.from);
      const x1 = X(o.to);
      if (o.kind === 'maintenance') {
        ctx.fillStyle = p.infoBg;
        ctx.fillRect(x0, y + 2, x1 - x0, rowH - 4);
      }
      ctx.fillStyle = offFill;
      ctx.fillRect(x0, y, x1 - x0, rowH);
      if (o.kind === 'maintenance' && x1 - x0 > 90) {
        ctx.fillStyle = p.text;
        ctx.fillText(t('schedule.maintenance'), x0 + 4, y + rowH / 2);
      }
    }
    const target = d.drag ?? d.moving;
    if (target && d.eligible && !d.eligible.has(row.machineId)) {
      ctx.fillStyle = p.hatch;
      ctx.fillRect(labelW, y, w - labelW, rowH);
    }
  }
  // the hour grid
  ctx.strokeStyle = p.border;
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const tk of stepTicks) {
    const x = Math.round(X(tk)) + 0.5;
    ctx.moveTo(x, axisH);
    ctx.lineTo(x, h);
  }
  ctx.stroke();

  for (let r = firstRow; r <= lastRow; r++) {
    const y = axisH + r * rowH - view.top + (rowH - barH) / 2;
    for (const b of barsIn(model.rows[r]!, from, to)) drawBar(ctx, d, p, b, X, y, setupFill);
  }

  // where the dragged or picked-up job would go
  const target = d.drag ?? d.moving;
  if (target) {
    const row = model.rows[target.row]!;
    const others = row.bars.filter((b) => b.jobId !== target.jobId);
    const at = others[target.position]?.from ?? others[others.length - 1]?.end ?? model.start;
    const y = axisH + target.row * rowH - view.top;
    const ok = !d.eligible || d.eligible.has(row.machineId);
    ctx.fillStyle = ok ? p.focus : p.alarm;
    ctx.fillRect(X(at) - 2, y + 2, 4, rowH - 4);
    const dragged = model.bars.get(target.jobId);
    if (d.drag && dragged) {
      ctx.globalAlpha = 0.55;
      ctx.fillStyle = p.bar;
      const width = Math.max(8, X(dragged.end) - X(dragged.from));
      ctx.fillRect(X(d.drag.ms) - width / 2, y + (rowH - barH) / 2, width, barH);
      ctx.globalAlpha = 1;
    }
  }

  // now
  if (d.now >= from && d.now <= to) {
    ctx.strokeStyle = p.accent;
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(X(d.now), axisH);
    ctx.lineTo(X(d.now), h);
    ctx.stroke();
  }
  ctx.restore();

  // time axis in plant time: hh:mm, the date where a day begins
  ctx.fillStyle = p.bg;
  ctx.fillRect(0, 0, w, axisH);
  ctx.strokeStyle = p.strong;
  ctx.beginPath();
  ctx.moveTo(0, axisH - 0.5);
  ctx.lineTo(w, axisH - 0.5);
  ctx.stroke();
  let lastDate = '';
  for (const tk of stepTicks) {
    const x = X(tk);
    if (x < labelW) continue;
    const date = d.format.date(tk);
    ctx.fillStyle = p.text;
    ctx.fillText(d.format.timeShort(tk), x + 3, axisH - 12);
    if (date !== lastDate) {
      ctx.fillStyle = p.dim;
      ctx.fillText(date, x + 3, 12);
      lastDate = date;
    }
  }

  // machine names
  ctx.fillStyle = p.bg;
  ctx.fillRect(0, axisH, labelW, h - axisH);
  for (let r = firstRow; r <= lastRow; r++) {
    const row = model.rows[r]!;
    const y = axisH + r * rowH - view.top;
    ctx.fillStyle = p.text;
    ctx.font = '600 13px system-ui, sans-serif';
    ctx.fillText(row.machineId, 8, y + 13);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = p.dim;
    ctx.fillText(fit(ctx, row.name, labelW - 14), 8, y + 28);
  }
  ctx.strokeStyle = p.strong;
  ctx.beginPath();
  ctx.moveTo(labelW - 0.5, 0);
  ctx.lineTo(labelW - 0.5, h);
  ctx.stroke();
}

function fit(ctx: CanvasRenderingContext2D, text: string, width: number): string {
  if (ctx.measureText(text).width <= width) return text;
  let s = text;
  while (s.length > 1 && ctx.measureText(`${s}…`).width > width) s = s.slice(0, -1);
  return `${s}…`;
}

function drawBar(ctx: CanvasRenderingContext2D, d: DrawInput, p: Palette, b: GanttBar, X: (ms: number) => number, y: number, setupFill: CanvasPattern | string): void {
  const { barH } = layout;
  const fill = b.status === 'late' ? p.alarm : b.status === 'atrisk' ? p.warn : p.bar;
  const fg = b.status === 'late' ? p.alarmFg : b.status === 'atrisk' ? p.warnFg : p.text;
  for (const s of b.segments) {
    const x0 = X(s.from);
    const width = Math.max(1, X(s.to) - x0);
    if (s.kind === 'setup') {
      ctx.fillStyle = p.bg;
      ctx.fillRect(x0, y + 5, width, barH - 10);
      ctx.fillStyle = setupFill;
      ctx.fillRect(x0, y + 5, width, barH - 10);
    } else {
      ctx.fillStyle = fill;
      ctx.fillRect(x0, y, width, barH);
    }
  }
  const x0 = X(b.from);
  const x1 = X(b.end);
  ctx.strokeStyle = p.strong;
  ctx.lineWidth = 1;
  ctx.strokeRect(Math.round(x0) + 0.5, y + 0.5, Math.max(1, x1 - x0 - 1), barH - 1);
  if (b.moved) {
    ctx.save();
    ctx.setLineDash([5, 3]);
    ctx.strokeStyle = p.accent;
    ctx.lineWidth = 2;
    ctx.strokeRect(x0 - 2, y - 2, x1 - x0 + 4, barH + 4);
    ctx.restore();
  }
  if (b.jobId === d.selected || b.jobId === d.focus || b.jobId === d.moving?.jobId) {
    ctx.strokeStyle = p.focus;
    ctx.lineWidth = 3;
    ctx.strokeRect(x0 - 1.5, y - 1.5, x1 - x0 + 3, barH + 3);
  }
  // the label in the longest run piece (a break splits a run; text over the hatch would be unreadable):
  // icons first, then the words as far as they fit
  const piece = b.segments.filter((s) => s.kind === 'run').reduce<{ from: number; to: number } | null>((best, s) => (!best || s.to - s.from > best.to - best.from ? s : best), null);
  if (!piece) return;
  const end = X(piece.to);
  let x = Math.max(X(piece.from), layout.labelW) + 3;
  if (end - x < 16) return;
  const mid = y + barH / 2;
  const kinds = [b.status === 'late' ? 'late' : b.status === 'atrisk' ? 'atrisk' : null, b.running ? 'running' : null, b.locked ? 'lock' : null, b.frozen ? 'frozen' : null].filter(Boolean) as ('late' | 'atrisk' | 'lock' | 'running' | 'frozen')[];
  for (const k of kinds) {
    if (x + 14 > end - 4) return;
    x += glyph(ctx, k, x, mid, fg);
  }
  ctx.fillStyle = fg;
  ctx.font = '12px system-ui, sans-serif';
  const label = fit(ctx, d.label(b), end - x - 4);
  if (label.length > 1) ctx.fillText(label, x + 1, mid);
}
