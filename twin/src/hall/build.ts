/**
 * The hall as a three.js scene graph, built from the plant model's layout: floor, grid, and every
 * machine as instances of a few shared primitives (box, cylinder, funnel), plus a floor plate per
 * machine (footprint, selection) and an alarm marker above it. Draw calls therefore depend on the number
 * of primitive kinds, not of machines: 11 or 500 machines cost the same handful (DESIGN.md measured
 * facts). Pure scene graph, no renderer: tests count instances and draw calls without WebGL.
 */
import * as THREE from 'three';
import type { MachineKind, MachineLayout } from '../lib/api/types.js';
import type { Tone } from '../lib/states.js';
import { shapes, type Motion, type PartSpec, type Primitive, type Shade } from './shapes.js';

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

interface Instance {
  prim: Primitive | 'plate';
  index: number;
  shade: Shade;
  motion?: Motion;
  /** part transform inside the machine */
  local: THREE.Matrix4;
}

/** Unit geometries: a primitive of size 1 centred on the origin (the funnel narrows downwards). */
function geometries(): Record<Primitive, THREE.BufferGeometry> {
  return {
    box: new THREE.BoxGeometry(1, 1, 1),
    cylinder: new THREE.CylinderGeometry(0.5, 0.5, 1, 12, 1),
    funnel: new THREE.CylinderGeometry(0.5, 0.18, 1, 10, 1),
  };
}

/**
 * Lambert (per-vertex-cheap) material whose instances can be hatched: a per-instance `instanceHatch`
 * draws screen-space diagonal stripes, the 3D form of "no data" (grey, hatched) without another draw call.
 */
export function hatchableMaterial(): THREE.MeshLambertMaterial {
  const m = new THREE.MeshLambertMaterial({ color: 0xffffff });
  m.onBeforeCompile = (shader) => {
    shader.vertexShader = shader.vertexShader
      .replace('#include <common>', '#include <common>\nattribute float instanceHatch;\nvarying float vHatch;')
      .replace('#include <begin_vertex>', '#include <begin_vertex>\nvHatch = instanceHatch;');
    shader.fragmentShader = shader.fragmentShader
      .replace('#include <common>', '#include <common>\nvarying float vHatch;')
      .replace(
        '#include <dithering_fragment>',
        '#include <dithering_fragment>\nif (vHatch > 0.5 && mod(gl_FragCoord.x + gl_FragCoord.y, 9.0) < 3.0) gl_FragColor.rgb *= 0.62;',
      );
  };
  m.customProgramCacheKey = () => 'hatchable';
  return m;
}

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

export class HallModel {
  readonly scene = new THREE.Scene();
  readonly meshes: Record<Primitive | 'plate', THREE.InstancedMesh>;
  readonly marker: THREE.InstancedMesh;
  readonly floor: THREE.Mesh;
  readonly grid: THREE.LineSegments;
  private readonly parts: Instance[][];
  private readonly machineMatrices: THREE.Matrix4[];
  /** per instanced mesh: instance index → machine index (picking) */
  private readonly owners = new Map<THREE.Object3D, Int32Array>();
  private readonly hatch: Record<Primitive | 'plate', THREE.InstancedBufferAttribute>;
  private readonly looks: MachineLook[];
  private palette: Palette = defaultPalette;
  private readonly tmp = new THREE.Matrix4();
  private readonly tmp2 = new THREE.Matrix4();
  private readonly color = new THREE.Color();

  constructor(
    readonly machines: readonly HallMachine[],
    readonly hall: { width: number; depth: number },
  ) {
    const geo = geometries();
    const specs = machines.map((m) => shapes[m.kind] ?? shapes.cnc);
    const counts: Record<Primitive, number> = { box: 0, cylinder: 0, funnel: 0 };
    for (const list of specs) for (const p of list) counts[p.prim]++;

    const mat = hatchableMaterial();
    const make = (g: THREE.BufferGeometry, n: number, name: string) => {
      const mesh = new THREE.InstancedMesh(g, mat, Math.max(1, n));
      mesh.count = n;
      mesh.name = name;
      mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      mesh.frustumCulled = false;
      this.owners.set(mesh, new Int32Array(Math.max(1, n)));
      return mesh;
    };
    this.meshes = {
      box: make(geo.box, counts.box, 'box'),
      cylinder: make(geo.cylinder, counts.cylinder, 'cylinder'),
      funnel: make(geo.funnel, counts.funnel, 'funnel'),
      plate: make(geo.box, machines.length, 'plate'),
    };
    this.hatch = {} as Record<Primitive | 'plate', THREE.InstancedBufferAttribute>;
    for (const [key, mesh] of Object.entries(this.meshes) as [Primitive | 'plate', THREE.InstancedMesh][]) {
      const attr = new THREE.InstancedBufferAttribute(new Float32Array(Math.max(1, mesh.count)), 1);
      // the geometry is shared (box and plate): hatch travels as an attribute of a per-mesh geometry clone
      if (key === 'plate') mesh.geometry = mesh.geometry.clone();
      mesh.geometry.setAttribute('instanceHatch', attr);
      this.hatch[key] = attr;
      mesh.setColorAt(0, this.color.set(0xffffff));
    }

    const markerGeo = new THREE.OctahedronGeometry(markerSize / 2, 0);
    this.marker = new THREE.InstancedMesh(markerGeo, new THREE.MeshBasicMaterial({ color: 0xffffff }), Math.max(1, machines.length));
    this.marker.count = machines.length;
    this.marker.name = 'alarm-marker';
    this.marker.frustumCulled = false;
    this.marker.setColorAt(0, this.color.set(0xffffff));

    const next: Record<Primitive | 'plate', number> = { box: 0, cylinder: 0, funnel: 0, plate: 0 };
    this.machineMatrices = machines.map((m) => machineMatrix(m.layout));
    this.parts = machines.map((m, i) => {
      const { w, d, h } = m.layout.footprint;
      const list: Instance[] = specs[i]!.map((p) => ({
        prim: p.prim,
        index: next[p.prim]++,
        shade: p.shade,
        ...(p.motion ? { motion: p.motion } : {}),
        local: partMatrix(p, w, h, d),
      }));
      list.push({
        prim: 'plate',
        index: next.plate++,
        shade: 'light',
        local: new THREE.Matrix4().compose(new THREE.Vector3(0, plateHeight / 2, 0), new THREE.Quaternion(), new THREE.Vector3(w + 0.6, plateHeight, d + 0.6)),
      });
      for (const part of list) {
        this.owners.get(this.meshes[part.prim])![part.index] = i;
        this.meshes[part.prim].setMatrixAt(part.index, this.tmp.multiplyMatrices(this.machineMatrices[i]!, part.local));
      }
      return list;
    });
    this.looks = machines.map(() => ({ tone: 'normal', alarm: null, selected: false }));

    this.floor = new THREE.Mesh(new THREE.PlaneGeometry(hall.width, hall.depth), new THREE.MeshLambertMaterial({ color: 0xffffff }));
    this.floor.rotation.x = -Math.PI / 2;
    this.floor.position.set(hall.width / 2, 0, hall.depth / 2);
    this.floor.name = 'floor';
    this.grid = gridLines(hall.width, hall.depth, 4);

    const hemi = new THREE.HemisphereLight(0xffffff, 0x8a8f96, 1.6);
    const sun = new THREE.DirectionalLight(0xffffff, 1.4);
    sun.position.set(hall.width * 0.3, 40, hall.depth * 1.2);
    this.scene.add(hemi, sun, this.floor, this.grid, ...Object.values(this.meshes), this.marker);
    machines.forEach((_, i) => this.applyLook(i));
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

  /** Instances per primitive (tests, bench). */
  instanceCounts(): Record<string, number> {
    return Object.fromEntries([...Object.entries(this.meshes).map(([k, m]) => [k, m.count]), ['marker', this.marker.count]]);
  }

  /** Which machine an instance of a mesh belongs to (for picking). */
  machineAt(object: THREE.Object3D, instanceId: number | undefined): number | null {
    const owners = this.owners.get(object);
    if (!owners || instanceId === undefined || instanceId >= owners.length) return null;
    return owners[instanceId] ?? null;
  }

  pickables(): THREE.Object3D[] {
    return Object.values(this.meshes);
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
    (this.floor.material as THREE.MeshLambertMaterial).color.set(p.floor);
    (this.grid.material as THREE.LineBasicMaterial).color.set(p.grid);
    this.machines.forEach((_, i) => this.applyLook(i));
  }

  /** Sets how a machine is drawn; returns true when something changed (the caller renders then). */
  setLook(i: number, look: MachineLook): boolean {
    const old = this.looks[i];
    if (!old || (old.tone === look.tone && old.alarm === look.alarm && old.selected === look.selected)) return false;
    this.looks[i] = { ...look };
    this.applyLook(i);
    return true;
  }

  /** Moves the moving parts of every machine to time `t` (s): used when motion is on (bench, demo). */
  animate(t: number): void {
    for (let i = 0; i < this.parts.length; i++) {
      const { w, h } = this.machines[i]!.layout.footprint;
      const phase = i * 0.7;
      for (const part of this.parts[i]!) {
        if (!part.motion) continue;
        const s = Math.sin(t * 2.4 + phase);
        if (part.motion === 'lift') this.tmp2.makeTranslation(0, s * 0.08 * h, 0).multiply(part.local);
        else if (part.motion === 'travel') this.tmp2.makeTranslation(s * 0.05 * w, 0, 0).multiply(part.local);
        else this.tmp2.makeRotationY(s * 0.9).multiply(part.local);
        this.meshes[part.prim].setMatrixAt(part.index, this.tmp.multiplyMatrices(this.machineMatrices[i]!, this.tmp2));
      }
    }
    for (const mesh of Object.values(this.meshes)) mesh.instanceMatrix.needsUpdate = true;
  }

  dispose(): void {
    this.scene.traverse((o) => {
      if (o instanceof THREE.Mesh || o instanceof THREE.LineSegments) {
        o.geometry.dispose();
        (Array.isArray(o.material) ? o.material : [o.material]).forEach((m: THREE.Material) => m.dispose());
      }
    });
  }

  private applyLook(i: number): void {
    const look = this.looks[i]!;
    const p = this.palette;
    const toneColor = { normal: p.equipment, off: p.off, info: p.info, warn: p.warn, alarm: p.alarm, nodata: p.nodata }[look.tone];
    const hatched = look.tone === 'nodata' ? 1 : 0;
    for (const part of this.parts[i]!) {
      const mesh = this.meshes[part.prim];
      let c: string;
      if (part.prim === 'plate') c = look.selected ? p.focus : p.light;
      else if (part.shade === 'body' || part.shade === 'signal') c = look.tone === 'normal' && part.shade === 'signal' ? p.equipmentDark : toneColor;
      else if (part.shade === 'dark') c = look.tone === 'nodata' ? p.nodata : p.equipmentDark;
      else if (part.shade === 'glass') c = p.glass;
      else c = p.light;
      mesh.setColorAt(part.index, this.color.set(c));
      this.hatch[part.prim].setX(part.index, part.prim === 'plate' ? 0 : hatched);
      mesh.instanceColor!.needsUpdate = true;
      this.hatch[part.prim].needsUpdate = true;
    }
    // the marker floats above the machine when an alarm is active, and is scaled away otherwise
    const m = this.machines[i]!;
    const scale = look.alarm ? 1 : 0;
    const at = new THREE.Vector3(m.layout.x, m.layout.footprint.h + 0.8, m.layout.z);
    this.marker.setMatrixAt(i, this.tmp.compose(at, new THREE.Quaternion(), new THREE.Vector3(scale, scale * 1.4, scale)));
    this.marker.setColorAt(i, this.color.set(look.alarm ? p[look.alarm] : p.nodata));
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
