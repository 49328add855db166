/**
 * Instances of a few shared primitives (box, cylinder, funnel) standing for many machine parts: one
 * InstancedMesh, hence one draw call, per primitive, whatever the number of machines. Each instance
 * has its colour and a hatch flag (the shader stripes hatched instances: "no data" in 3D), and belongs
 * to a machine (picking). Pure scene graph: no renderer needed.
 */
import * as THREE from 'three';
import type { Motion, Primitive, Shade } from './shapes.js';

export interface Part {
  prim: Primitive;
  shade: Shade;
  motion?: Motion;
  /** the part's transform inside its machine */
  local: THREE.Matrix4;
}

interface Placed extends Part {
  index: number;
}

/** Unit geometries: a primitive of size 1 centred on the origin (the funnel narrows downwards). */
export function unitGeometry(prim: Primitive): THREE.BufferGeometry {
  switch (prim) {
    case 'box':
      return new THREE.BoxGeometry(1, 1, 1);
    case 'cylinder':
      return new THREE.CylinderGeometry(0.5, 0.5, 1, 10, 1);
    case 'funnel':
      return new THREE.CylinderGeometry(0.5, 0.18, 1, 10, 1);
  }
}

/**
 * Lambert material whose instances can be hatched: a per-instance `instanceHatch` draws screen-space
 * diagonal stripes, the 3D form of "no data" (grey, hatched) without another draw call.
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

export class PartSet {
  readonly group = new THREE.Group();
  readonly meshes = new Map<Primitive, THREE.InstancedMesh>();
  private readonly placed: Placed[][];
  private readonly owners = new Map<THREE.Object3D, Int32Array>();
  private readonly tmp = new THREE.Matrix4();
  private readonly tmp2 = new THREE.Matrix4();
  private readonly color = new THREE.Color();

  constructor(
    name: string,
    perMachine: readonly (readonly Part[])[],
    private readonly machineMatrices: readonly THREE.Matrix4[],
    material: THREE.Material,
  ) {
    this.group.name = name;
    const counts = new Map<Primitive, number>();
    for (const parts of perMachine) for (const p of parts) counts.set(p.prim, (counts.get(p.prim) ?? 0) + 1);
    for (const [prim, n] of counts) {
      const mesh = new THREE.InstancedMesh(unitGeometry(prim), material, n);
      mesh.name = `${name}-${prim}`;
      mesh.instanceMatrix.setUsage(THREE.DynamicDrawUsage);
      mesh.frustumCulled = false;
      mesh.geometry.setAttribute('instanceHatch', new THREE.InstancedBufferAttribute(new Float32Array(n), 1));
      mesh.setColorAt(0, this.color.set(0xffffff));
      this.meshes.set(prim, mesh);
      this.owners.set(mesh, new Int32Array(n));
      this.group.add(mesh);
    }
    const next = new Map<Primitive, number>();
    this.placed = perMachine.map((parts, i) =>
      parts.map((p) => {
        const index = next.get(p.prim) ?? 0;
        next.set(p.prim, index + 1);
        const mesh = this.meshes.get(p.prim)!;
        this.owners.get(mesh)![index] = i;
        mesh.setMatrixAt(index, this.tmp.multiplyMatrices(machineMatrices[i]!, p.local));
        return { ...p, index };
      }),
    );
  }

  /** Instances per primitive. */
  counts(): Record<string, number> {
    return Object.fromEntries([...this.meshes].map(([prim, m]) => [prim, m.count]));
  }

  /** The machine an instance belongs to, if the object is one of this set's meshes. */
  machineAt(object: THREE.Object3D, instanceId: number | undefined): number | null {
    const owners = this.owners.get(object);
    if (!owners || instanceId === undefined || instanceId >= owners.length) return null;
    return owners[instanceId] ?? null;
  }

  /** Colours machine `i`'s parts (by shade) and hatches them or not. */
  paint(i: number, colourOf: (shade: Shade) => string, hatched: boolean): void {
    for (const p of this.placed[i]!) {
      const mesh = this.meshes.get(p.prim)!;
      const hatch = mesh.geometry.getAttribute('instanceHatch') as THREE.InstancedBufferAttribute;
      mesh.setColorAt(p.index, this.color.set(colourOf(p.shade)));
      hatch.setX(p.index, hatched ? 1 : 0);
      mesh.instanceColor!.needsUpdate = true;
      hatch.needsUpdate = true;
    }
  }

  /** Moves every moving part to time `t` (s). */
  animate(t: number, sizes: readonly { w: number; h: number }[]): void {
    for (let i = 0; i < this.placed.length; i++) {
      const { w, h } = sizes[i]!;
      const s = Math.sin(t * 2.4 + i * 0.7);
      for (const p of this.placed[i]!) {
        if (!p.motion) continue;
        if (p.motion === 'lift') this.tmp2.makeTranslation(0, s * 0.08 * h, 0).multiply(p.local);
        else if (p.motion === 'travel') this.tmp2.makeTranslation(s * 0.05 * w, 0, 0).multiply(p.local);
        else this.tmp2.makeRotationY(s * 0.9).multiply(p.local);
        this.meshes.get(p.prim)!.setMatrixAt(p.index, this.tmp.multiplyMatrices(this.machineMatrices[i]!, this.tmp2));
      }
    }
    for (const mesh of this.meshes.values()) mesh.instanceMatrix.needsUpdate = true;
  }
}
