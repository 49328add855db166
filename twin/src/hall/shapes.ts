/**
 * Low-poly machine shapes, one per kind, as lists of primitive parts in the machine's own footprint
 * (x across its width, z across its depth, y up; fractions of w, d and h, origin at the footprint's
 * centre on the floor). A few primitives for the whole plant keep the hall at a handful of instanced
 * draw calls whatever the number of machines (DESIGN.md: SwiftShader is CPU-bound on draw calls and fill).
 */
import type { MachineKind } from '../lib/api/types.js';

export type Primitive = 'box' | 'cylinder' | 'funnel';
/** body parts take the state's tone when abnormal; the other shades stay as they are */
export type Shade = 'body' | 'dark' | 'light' | 'glass' | 'signal';
export type Motion = 'lift' | 'spin' | 'travel';

export interface PartSpec {
  prim: Primitive;
  /** centre, as fractions: x of w (−0.5..0.5), y of h (0..1), z of d (−0.5..0.5) */
  at: readonly [number, number, number];
  /** size, as fractions of w, h, d (a cylinder's diameter is its x/z size) */
  size: readonly [number, number, number];
  shade: Shade;
  /** lay a cylinder along x or z instead of y */
  axis?: 'x' | 'z';
  motion?: Motion;
}

const box = (at: PartSpec['at'], size: PartSpec['size'], shade: Shade, motion?: Motion): PartSpec => ({ prim: 'box', at, size, shade, ...(motion ? { motion } : {}) });
const cyl = (at: PartSpec['at'], size: PartSpec['size'], shade: Shade, axis?: 'x' | 'z', motion?: Motion): PartSpec => ({
  prim: 'cylinder',
  at,
  size,
  shade,
  ...(axis ? { axis } : {}),
  ...(motion ? { motion } : {}),
});

/** stack light on a corner: the state's tone at a glance from anywhere in the hall */
const beacon = (x: number, z: number): PartSpec => cyl([x, 0.955, z], [0.05, 0.07, 0.05], 'signal');

export const shapes: Record<MachineKind, readonly PartSpec[]> = {
  press: [
    box([0, 0.08, 0], [0.92, 0.16, 0.84], 'dark'),
    box([-0.4, 0.5, 0], [0.14, 0.72, 0.74], 'body'),
    box([0.4, 0.5, 0], [0.14, 0.72, 0.74], 'body'),
    box([0, 0.84, 0], [0.96, 0.2, 0.84], 'body'),
    box([0, 0.2, 0], [0.62, 0.08, 0.62], 'light'),
    box([0, 0.58, 0], [0.6, 0.14, 0.6], 'dark', 'lift'),
    cyl([-0.2, 0.84, -0.44], [0.3, 0.16, 0.06], 'dark', 'z', 'spin'),
    box([0.49, 0.32, 0.36], [0.04, 0.22, 0.16], 'dark'),
    beacon(0.44, 0.38),
  ],
  moulding: [
    box([0, 0.18, 0], [1, 0.36, 0.8], 'dark'),
    box([-0.28, 0.6, 0], [0.4, 0.5, 0.76], 'body'),
    box([-0.28, 0.6, 0.39], [0.3, 0.32, 0.02], 'glass'),
    cyl([-0.1, 0.72, 0.2], [0.36, 0.05, 0.05], 'light', 'x'),
    cyl([-0.1, 0.72, -0.2], [0.36, 0.05, 0.05], 'light', 'x'),
    cyl([0.16, 0.62, 0], [0.3, 0.13, 0.13], 'light', 'x'),
    box([0.36, 0.6, 0], [0.26, 0.42, 0.5], 'body', 'travel'),
    { prim: 'funnel', at: [0.22, 0.86, 0], size: [0.08, 0.24, 0.22], shade: 'light' },
    box([-0.02, 0.44, 0.42], [0.08, 0.28, 0.08], 'dark'),
    beacon(-0.46, 0.36),
  ],
  welding: [
    box([0, 0.01, 0], [1, 0.02, 1], 'dark'),
    box([0, 0.3, -0.49], [1, 0.6, 0.02], 'glass'),
    box([-0.49, 0.3, 0], [0.02, 0.6, 1], 'glass'),
    box([0.49, 0.3, 0], [0.02, 0.6, 1], 'glass'),
    box([-0.49, 0.3, 0.49], [0.03, 0.6, 0.03], 'dark'),
    box([0.49, 0.3, 0.49], [0.03, 0.6, 0.03], 'dark'),
    box([0, 0.14, 0.05], [0.34, 0.28, 0.3], 'light'),
    cyl([-0.26, 0.06, -0.1], [0.12, 0.12, 0.14], 'dark'),
    box([-0.26, 0.32, -0.1], [0.07, 0.42, 0.08], 'body'),
    box([-0.14, 0.55, -0.05], [0.28, 0.07, 0.06], 'body', 'spin'),
    cyl([0.26, 0.06, -0.1], [0.12, 0.12, 0.14], 'dark'),
    box([0.26, 0.32, -0.1], [0.07, 0.42, 0.08], 'body'),
    box([0.14, 0.55, -0.05], [0.28, 0.07, 0.06], 'body', 'spin'),
    box([0.4, 0.42, 0.42], [0.12, 0.5, 0.1], 'dark'),
    beacon(0.44, 0.44),
  ],
  cnc: [
    box([0, 0.04, 0], [1, 0.08, 0.86], 'dark'),
    box([0, 0.48, 0], [0.96, 0.8, 0.82], 'body'),
    box([-0.08, 0.52, 0.415], [0.46, 0.36, 0.02], 'glass'),
    box([0.42, 0.5, 0.44], [0.12, 0.34, 0.08], 'dark'),
    box([-0.4, 0.12, 0.46], [0.16, 0.2, 0.1], 'dark'),
    beacon(0.42, -0.34),
  ],
  paint: [
    box([-0.45, 0.12, 0], [0.1, 0.24, 0.8], 'dark'),
    box([-0.12, 0.4, 0], [0.52, 0.8, 0.9], 'body'),
    box([0.34, 0.36, 0], [0.3, 0.72, 0.94], 'body'),
    box([0, 0.88, 0], [1, 0.03, 0.08], 'dark'),
    box([-0.42, 0.72, 0], [0.03, 0.2, 0.3], 'light', 'travel'),
    box([0.44, 0.72, 0], [0.03, 0.2, 0.3], 'light', 'travel'),
    cyl([0.34, 0.88, 0.3], [0.03, 0.24, 0.1], 'dark'),
    cyl([-0.2, 0.88, -0.3], [0.03, 0.24, 0.1], 'dark'),
    beacon(-0.48, 0.45),
  ],
  laser: [
    box([0, 0.3, 0], [1, 0.6, 0.9], 'body'),
    box([0, 0.76, 0], [0.8, 0.32, 0.72], 'light'),
    box([0, 0.78, 0.365], [0.5, 0.16, 0.02], 'glass'),
    cyl([0, 0.66, 0], [0.12, 0.16, 0.12], 'dark', undefined, 'lift'),
    beacon(0.4, -0.36),
  ],
  cmm: [
    box([0, 0.14, 0], [1, 0.28, 0.9], 'dark'),
    box([0, 0.3, 0], [0.9, 0.04, 0.8], 'light'),
    box([-0.42, 0.56, 0], [0.08, 0.5, 0.14], 'body', 'travel'),
    box([0.42, 0.56, 0], [0.08, 0.5, 0.14], 'body', 'travel'),
    box([0, 0.84, 0], [0.96, 0.08, 0.16], 'body', 'travel'),
    cyl([0, 0.64, 0], [0.06, 0.36, 0.06], 'light', undefined, 'lift'),
    beacon(0.46, 0.4),
  ],
  eol: [
    box([0, 0.45, 0.08], [1, 0.05, 0.8], 'light'),
    box([-0.45, 0.22, -0.25], [0.04, 0.44, 0.04], 'dark'),
    box([0.45, 0.22, -0.25], [0.04, 0.44, 0.04], 'dark'),
    box([-0.45, 0.22, 0.42], [0.04, 0.44, 0.04], 'dark'),
    box([0.45, 0.22, 0.42], [0.04, 0.44, 0.04], 'dark'),
    box([0.32, 0.5, -0.36], [0.34, 0.96, 0.28], 'body'),
    box([-0.12, 0.68, -0.3], [0.32, 0.22, 0.04], 'dark'),
    box([-0.12, 0.52, 0.15], [0.3, 0.08, 0.3], 'body', 'lift'),
    beacon(0.44, -0.44),
  ],
};

/**
 * Every kind from afar: one block in the state's tone (a machine is a few pixels there; one instance per
 * machine keeps 500 machines within a software renderer's frame budget). It bobs when motion is on.
 */
export const coarseShape: readonly PartSpec[] = [box([0, 0.45, 0], [0.94, 0.9, 0.9], 'body', 'lift')];
