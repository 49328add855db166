/**
 * The hall as a three.js scene graph, built from the plant model's layout: every machine as instances
 * of a few shared primitives (parts.ts), so draw calls depend on the number of primitive kinds, not of
 * machines: 11 or 500 machines cost the same handful (DESIGN.md measured facts). Pure scene graph, no
 * renderer: tests count instances and draw calls without WebGL.
 */
import * as THREE from 'three';
import type { MachineKind, MachineLayout } from '../lib/api/types.js';
import type { Tone } from '../lib/states.js';
import { hatchableMaterial, PartSet, type Part } from './parts.js';
import { coarseShape, shapes, type PartSpec, type Shade } from './shapes.js';

export interface HallMachine {
  id: string;
  kind: MachineKind;
  layout: MachineLayout;
}

export interface MachineLook {
  tone: Tone;
  /** alarm marker colour, or null for none */
  alarm: 'alarm' | 'warn' | 'info' | null;
  selected: boolean;
}

/** Colours of the scene, read from the theme's CSS tokens. */
export interface Palette {
  background: string;
  floor: string;
  grid: string;
  equipment: string;
  equipmentDark: string;
  light: string;
  glass: string;
  alarm: string;
  warn: string;
  info: string;
  off: string;
  nodata: string;
  focus: string;
}

export const defaultPalette: Palette = {
  background: '#e4e6e9',
  floor: '#d3d6da',
  grid: '#bfc3c9',
  equipment: '#9ea3ab',
  equipmentDark: '#6e747d',
  light: '#c4c8ce',
  glass: '#aab6c4',
  alarm: '#c8102e',
  warn: '#e0a100',
  info: '#2a6cd6',
  off: '#4a4f57',
  nodata: '#8d939b',
  focus: '#1a56c4',
};

const plateHeight = 0.03;
const markerSize = 0.9;
/** Below this many pixels per machine the coarse shapes are drawn: details would not show anyway. */
export const detailMinPx = 40;

export type Detail = 'detail' | 'coarse';

function partMatrix(p: PartSpec, w: number, h: number, d: number): THREE.Matrix4 {
  const pos = new THREE.Vector3(p.at[0] * w, p.at[1] * h, p.at[2] * d);
  const [sx, sy, sz] = [p.size[0] * w, p.size[1] * h, p.size[2] * d];
  const q = new THREE.Quaternion();
  let scale = new THREE.Vector3(sx, sy, sz);
  // a cylinder's own axis is y: lay it along x or z, its length taken from that size
  if (p.axis === 'x') {
    q.setFromAxisAngle(new THREE.Vector3(0, 0, 1), Math.PI / 2);
    scale = new THREE.Vector3(sy, sx, sz);
  } else if (p.axis === 'z') {
    q.setFromAxisAngle(new THREE.Vector3(1, 0, 0), Math.PI / 2);
    scale = new THREE.Vector3(sx, sz, sy);
  }
  return new THREE.Matrix4().compose(pos, q, scale);
}

function machineMatrix(l: MachineLayout): THREE.Matrix4 {
  const q = new THREE.Quaternion().setFromAxisAngle(new THREE.Vector3(0, 1, 0), (-l.rotationDeg * Math.PI) / 180);
  return new THREE.Matrix4().compose(new THREE.Vector3(l.x, 0, l.z), q, new THREE.Vector3(1, 1, 1));
}

const partsOf = (specs: readonly PartSpec[], m: HallMachine): Part[] => {
  const { w, d, h } = m.layout.footprint;
  return specs.map((p) => ({ prim: p.prim, shade: p.shade, ...(p.motion ? { motion: p.motion } : {}), local: partMatrix(p, w, h, d) }));
};

/**
 * The hall: floor, grid, a floor plate per machine (footprint, selection), an alarm marker above each
 * machine with an active alarm, and the machines twice: in detail (the kind's shape, with plates) and
 * coarse (one block each), one of which is visible. Software rendering is bound by vertices here
 * (measured: halving the pixel ratio did not help at 500 machines, leaving out the boxes did), so a
 * plant seen from afar draws the coarse set.
 */
export class HallModel {
  readonly scene = new THREE.Scene();
  readonly detail: PartSet;
  readonly coarse: PartSet;
  readonly plates: PartSet;
  readonly marker: THREE.InstancedMesh;
  readonly floor: THREE.Mesh;
  readonly grid: THREE.LineSegments;
  private level: Detail = 'detail';
  private readonly looks: MachineLook[];
  private palette: Palette = defaultPalette;
  private readonly tmp = new THREE.Matrix4();
  private readonly color = new THREE.Color();
  private readonly floorLight: number;

  constructor(
    readonly machines: readonly HallMachine[],
    readonly hall: { width: number; depth: number },
  ) {
    const mat = hatchableMaterial();
    const placed = machines.map((m) => machineMatrix(m.layout));
    this.detail = new PartSet('detail', machines.map((m) => partsOf(shapes[m.kind] ?? shapes.cnc, m)), placed, mat);
    this.coarse = new PartSet('coarse', machines.map((m) => partsOf(coarseShape, m)), placed, mat);
    this.plates = new PartSet(
      'plate',
      machines.map((m) => [
        {
          prim: 'box',
          shade: 'light',
          local: new THREE.Matrix4().compose(new THREE.Vector3(0, plateHeight / 2, 0), new THREE.Quaternion(), new THREE.Vector3(m.layout.footprint.w + 0.6, plateHeight, m.layout.footprint.d + 0.6)),
        },
      ]),
      placed,
      mat,
    );
    this.coarse.group.visible = false;

    this.marker = new THREE.InstancedMesh(new THREE.OctahedronGeometry(markerSize / 2, 0), new THREE.MeshBasicMaterial({ color: 0xffffff }), Math.max(1, machines.length));
    this.marker.count = 0;
    this.marker.name = 'alarm-marker';
    this.marker.frustumCulled = false;
    this.marker.setColorAt(0, this.color.set(0xffffff));
    this.looks = machines.map(() => ({ tone: 'normal', alarm: null, selected: false }));

    // unlit: the floor fills most of the canvas, and software rendering pays per pixel for lighting
    // (bench:twin frame median 9.1 -> 6.7 ms); floorLight gives it the colour the lights would
    this.floor = new THREE.Mesh(new THREE.PlaneGeometry(hall.width, hall.depth), new THREE.MeshBasicMaterial({ color: 0xffffff }));
    this.floor.rotation.x = -Math.PI / 2;
    this.floor.position.set(hall.width / 2, 0, hall.depth / 2);
    this.floor.name = 'floor';
    this.grid = gridLines(hall.width, hall.depth, 4);

    const hemi = new THREE.HemisphereLight(0xffffff, 0x8a8f96, 1.6);
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(hall.width * 0.3, 40, hall.depth * 1.2);
    // what both lights give a level surface (Lambert: irradiance over pi; the sun aims at the origin)
    this.floorLight = (hemi.intensity + sun.intensity * Math.max(0, sun.position.clone().normalize().y)) / Math.PI;
    this.scene.add(hemi, sun, this.floor, this.grid, this.detail.group, this.coarse.group, this.plates.group, this.marker);
    this.setPalette(defaultPalette);
  }

  /** Draw calls one render of this scene costs, read from the scene graph (visible meshes and lines with something to draw). */
  drawCalls(): number {
    let n = 0;
    this.scene.traverseVisible((o) => {
      if (o instanceof THREE.InstancedMesh) n += o.count > 0 ? 1 : 0;
      else if (o instanceof THREE.Mesh || o instanceof THREE.LineSegments) n++;
    });
    return n;
  }

  /** Instances per set and primitive (tests, bench). */
  instanceCounts(): Record<string, number> {
    const of = (prefix: string, set: PartSet) => Object.entries(set.counts()).map(([k, n]) => [`${prefix}${k}`, n] as const);
    return Object.fromEntries([...of('', this.detail), ...of('coarse-', this.coarse), ['plate', this.machines.length], ['marker', this.marker.count]]);
  }

  /** The machines whose alarm marker shows, in marker instance order. */
  markedMachines(): number[] {
    return this.looks.flatMap((l, i) => (l.alarm ? [i] : []));
  }

  /** Which machine an instance of a mesh belongs to (for picking). */
  machineAt(object: THREE.Object3D, instanceId: number | undefined): number | null {
    return this.shown().machineAt(object, instanceId) ?? this.plates.machineAt(object, instanceId);
  }

  pickables(): THREE.Object3D[] {
    return [...this.shown().meshes.values(), ...this.plates.meshes.values()];
  }

  /** Shows the detailed or the coarse machines; true when that changed. */
  setDetail(level: Detail): boolean {
    if (level === this.level) return false;
    this.level = level;
    this.detail.group.visible = level === 'detail';
    this.plates.group.visible = level === 'detail';
    this.coarse.group.visible = level === 'coarse';
    return true;
  }

  get detailLevel(): Detail {
    return this.level;
  }

  /** A typical machine's size (m): the median of the footprints' longer sides. */
  typicalSize(): number {
    const sides = this.machines.map((m) => Math.max(m.layout.footprint.w, m.layout.footprint.d)).sort((a, b) => a - b);
    return sides[Math.floor(sides.length / 2)] ?? 1;
  }

  /** Point above a machine where its label sits (above the alarm marker). */
  anchor(i: number, out = new THREE.Vector3()): THREE.Vector3 {
    const m = this.machines[i]!;
    return out.set(m.layout.x, m.layout.footprint.h + 1.7, m.layout.z);
  }

  /** The tallest machine's height (framing the camera). */
  height(): number {
    return Math.max(1, ...this.machines.map((m) => m.layout.footprint.h));
  }

  setPalette(p: Palette): void {
    this.palette = p;
    (this.floor.material as THREE.MeshBasicMaterial).color.set(p.floor).multiplyScalar(this.floorLight);
    (this.grid.material as THREE.LineBasicMaterial).color.set(p.grid);
    this.machines.forEach((_, i) => this.applyLook(i));
    this.placeMarkers();
  }

  /** Sets how a machine is drawn; returns true when something changed (the caller renders then). */
  setLook(i: number, look: MachineLook): boolean {
    const old = this.looks[i];
    if (!old || (old.tone === look.tone && old.alarm === look.alarm && old.selected === look.selected)) return false;
    this.looks[i] = { ...look };
    this.applyLook(i);
    // the markers are laid out for all machines at once: only an alarm's change moves them
    if (old.alarm !== look.alarm) this.placeMarkers();
    return true;
  }

  /** Moves the moving parts of every machine to time `t` (s): used when motion is on (bench, demo). */
  animate(t: number): void {
    this.shown().animate(
      t,
      this.machines.map((m) => m.layout.footprint),
    );
  }

  dispose(): void {
    this.scene.traverse((o) => {
      if (o instanceof THREE.Mesh || o instanceof THREE.LineSegments) {
        o.geometry.dispose();
        (Array.isArray(o.material) ? o.material : [o.material]).forEach((m: THREE.Material) => m.dispose());
      }
    });
  }

  private shown(): PartSet {
    return this.level === 'detail' ? this.detail : this.coarse;
  }

  private applyLook(i: number): void {
    const look = this.looks[i]!;
    const p = this.palette;
    const tone = { normal: p.equipment, off: p.off, info: p.info, warn: p.warn, alarm: p.alarm, nodata: p.nodata }[look.tone];
    const colourOf = (shade: Shade) => {
      if (shade === 'body') return tone;
      if (shade === 'signal') return look.tone === 'normal' ? p.equipmentDark : tone;
      if (shade === 'dark') return look.tone === 'nodata' ? p.nodata : p.equipmentDark;
      return shade === 'glass' ? p.glass : p.light;
    };
    this.detail.paint(i, colourOf, look.tone === 'nodata');
    this.coarse.paint(i, colourOf, look.tone === 'nodata');
    this.plates.paint(i, () => (look.selected ? p.focus : p.light), false);
  }

  // markers float above the machines with an active alarm: as many instances as alarms, none drawn for the rest
  private placeMarkers(): void {
    const marked = this.markedMachines();
    marked.forEach((i, k) => {
      const m = this.machines[i]!;
      const at = new THREE.Vector3(m.layout.x, m.layout.footprint.h + 0.8, m.layout.z);
      this.marker.setMatrixAt(k, this.tmp.compose(at, new THREE.Quaternion(), new THREE.Vector3(1, 1.4, 1)));
      this.marker.setColorAt(k, this.color.set(this.palette[this.looks[i]!.alarm!]));
    });
    this.marker.count = marked.length;
    this.marker.instanceMatrix.needsUpdate = true;
    this.marker.instanceColor!.needsUpdate = true;
  }
}

function gridLines(width: number, depth: number, step: number): THREE.LineSegments {
  const pts: number[] = [];
  for (let x = 0; x <= width + 1e-6; x += step) pts.push(x, 0.005, 0, x, 0.005, depth);
  for (let z = 0; z <= depth + 1e-6; z += step) pts.push(0, 0.005, z, width, 0.005, z);
  const g = new THREE.BufferGeometry();
  g.setAttribute('position', new THREE.Float32BufferAttribute(pts, 3));
  const lines = new THREE.LineSegments(g, new THREE.LineBasicMaterial({ color: 0xffffff }));
  lines.name = 'grid';
  return lines;
}
