import * as THREE from 'three';
import { describe, expect, it } from 'vitest';
import type { MachineKind } from '../lib/api/types.js';
import { HallModel, type HallMachine } from './build.js';
import { coarseShape, shapes } from './shapes.js';

const kinds = Object.keys(shapes) as MachineKind[];
const plant = (n: number): HallMachine[] =>
  Array.from({ length: n }, (_, i) => ({
    id: `M-${i}`,
    kind: kinds[i % kinds.length]!,
    layout: { x: 4 + (i % 25) * 6, z: 4 + Math.floor(i / 25) * 6, rotationDeg: (i % 4) * 90, footprint: { w: 4, d: 3, h: 3 } },
  }));

describe('hall scene', () => {
  it('draws every machine from a few instanced meshes: the draw calls do not grow with the plant', () => {
    const small = new HallModel(plant(11), { width: 64, depth: 36 });
    const large = new HallModel(plant(500), { width: 160, depth: 130 });
    expect(small.drawCalls()).toBeLessThanOrEqual(50);
    expect(large.drawCalls()).toBe(small.drawCalls());
    // floor, grid, box, cylinder, funnel, floor plates (markers: none while no alarm is active)
    expect(small.drawCalls()).toBe(6);
    const partsOf = (ms: HallMachine[]) => ms.reduce((n, m) => n + shapes[m.kind].length, 0);
    const counts = large.instanceCounts();
    expect(counts.box! + counts.cylinder! + counts.funnel!).toBe(partsOf(plant(500)));
    expect(counts['coarse-box']).toBe(500 * coarseShape.length);
    expect(counts.plate).toBe(500);
    expect(counts.marker).toBe(0);
    // seen from afar: one block per machine instead (no funnels, no plates): floor, grid, blocks
    expect(large.setDetail('coarse')).toBe(true);
    expect(large.setDetail('coarse')).toBe(false);
    expect(large.drawCalls()).toBe(3);
  });

  it('places each machine at its layout position, sized by its footprint', () => {
    const m = new HallModel([{ id: 'PRS-01', kind: 'press', layout: { x: 4, z: 6, rotationDeg: 0, footprint: { w: 4.5, d: 3.5, h: 5.5 } } }], { width: 64, depth: 36 });
    const box = new THREE.Box3();
    const part = new THREE.Box3();
    const mat = new THREE.Matrix4();
    for (const mesh of [m.detail.meshes.get('box')!, m.detail.meshes.get('cylinder')!]) {
      mesh.geometry.computeBoundingBox();
      for (let i = 0; i < mesh.count; i++) {
        mesh.getMatrixAt(i, mat);
        box.union(part.copy(mesh.geometry.boundingBox!).applyMatrix4(mat));
      }
    }
    const size = box.getSize(new THREE.Vector3());
    const centre = box.getCenter(new THREE.Vector3());
    expect(size.x).toBeLessThanOrEqual(4.5 + 0.01);
    expect(size.x).toBeGreaterThan(4.5 * 0.9);
    expect(size.y).toBeLessThanOrEqual(5.5 + 0.01);
    expect(size.y).toBeGreaterThan(5.5 * 0.9);
    expect(size.z).toBeLessThanOrEqual(3.5 + 0.01);
    expect(Math.abs(centre.x - 4)).toBeLessThan(0.2);
    expect(Math.abs(centre.z - 6)).toBeLessThan(0.2);
  });

  it('colours a machine only when its look changes, hatches it without data and shows the alarm marker', () => {
    const m = new HallModel(plant(2), { width: 64, depth: 36 });
    expect(m.setLook(0, { tone: 'normal', alarm: null, selected: false })).toBe(false);
    expect(m.setLook(0, { tone: 'nodata', alarm: 'alarm', selected: false })).toBe(true);
    expect(m.setLook(0, { tone: 'nodata', alarm: 'alarm', selected: false })).toBe(false);
    const box = m.detail.meshes.get('box')!;
    const hatch = box.geometry.getAttribute('instanceHatch') as THREE.InstancedBufferAttribute;
    // one marker, above machine 0
    expect(m.markedMachines()).toEqual([0]);
    expect(m.marker.count).toBe(1);
    const mat = new THREE.Matrix4();
    m.marker.getMatrixAt(0, mat);
    expect(new THREE.Vector3().setFromMatrixPosition(mat).x).toBe(m.machines[0]!.layout.x);
    // machine 0's parts are the first instances of each mesh: hatched; machine 1's are not
    expect(hatch.getX(0)).toBe(1);
    expect(hatch.getX(box.count - 1)).toBe(0);
    // the coarse set is painted alike, so switching level keeps the look
    const coarseHatch = m.coarse.meshes.get('box')!.geometry.getAttribute('instanceHatch') as THREE.InstancedBufferAttribute;
    expect([coarseHatch.getX(0), coarseHatch.getX(coarseHatch.count - 1)]).toEqual([1, 0]);
  });

  it('tells which machine an instance belongs to (picking)', () => {
    const m = new HallModel(plant(3), { width: 64, depth: 36 });
    const box = m.detail.meshes.get('box')!;
    expect(m.machineAt(m.plates.meshes.get('box')!, 2)).toBe(2);
    expect(m.machineAt(box, 0)).toBe(0);
    expect(m.machineAt(box, box.count - 1)).toBe(2);
    expect(m.machineAt(m.floor, 0)).toBeNull();
    expect(m.pickables()).toContain(box);
  });
});
