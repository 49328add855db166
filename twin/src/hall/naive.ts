/**
 * The benchmark's baseline, built the way a first three.js hall usually is: one mesh (own geometry,
 * own physically based material) per machine part, antialiasing on, the device pixel ratio, and a
 * render loop drawing every frame whether anything changed or not. Same shapes and layout as the
 * real hall, so the bench compares designs, not content. Loaded only by the bench (`?bench`).
 */
import * as THREE from 'three';
import type { HallMachine } from './build.js';
import { shapes } from './shapes.js';

export interface NaiveHall {
  /** moves the moving parts to `t` (s), renders and reads one pixel back: ms of work */
  frame(t: number): number;
  drawCalls(): number;
  /** frames drawn by its render loop so far */
  renders(): number;
  dispose(): void;
}

export function naiveHall(canvas: HTMLCanvasElement, machines: readonly HallMachine[], hall: { width: number; depth: number }): NaiveHall {
  const renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
  renderer.setPixelRatio(window.devicePixelRatio || 1);
  renderer.setSize(canvas.clientWidth, canvas.clientHeight, false);
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xe4e6e9);
  const camera = new THREE.PerspectiveCamera(38, canvas.clientWidth / canvas.clientHeight, 0.5, 600);
  const r = Math.max(hall.width, hall.depth);
  camera.position.set(hall.width / 2 + r * 0.12, r * 0.62, hall.depth / 2 + r * 0.78);
  camera.lookAt(hall.width / 2, 0, hall.depth / 2);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f96, 1.6));
  const sun = new THREE.DirectionalLight(0xffffff, 1.4);
  sun.position.set(hall.width * 0.3, 40, hall.depth * 1.2);
  scene.add(sun);
  const floor = new THREE.Mesh(new THREE.PlaneGeometry(hall.width, hall.depth), new THREE.MeshStandardMaterial({ color: 0xd3d6da }));
  floor.rotation.x = -Math.PI / 2;
  floor.position.set(hall.width / 2, 0, hall.depth / 2);
  scene.add(floor, new THREE.GridHelper(Math.max(hall.width, hall.depth), 16));

  const moving: { mesh: THREE.Mesh; motion: string; base: THREE.Vector3; w: number; h: number; phase: number }[] = [];
  machines.forEach((m, i) => {
    const group = new THREE.Group();
    group.position.set(m.layout.x, 0, m.layout.z);
    group.rotation.y = (-m.layout.rotationDeg * Math.PI) / 180;
    const { w, d, h } = m.layout.footprint;
    for (const p of shapes[m.kind]) {
      const geo = p.prim === 'box' ? new THREE.BoxGeometry(1, 1, 1) : new THREE.CylinderGeometry(0.5, p.prim === 'funnel' ? 0.18 : 0.5, 1, 24);
      const mesh = new THREE.Mesh(geo, new THREE.MeshStandardMaterial({ color: 0x9ea3ab, metalness: 0.3, roughness: 0.6 }));
      mesh.position.set(p.at[0] * w, p.at[1] * h, p.at[2] * d);
      mesh.scale.set(p.size[0] * w, p.size[1] * h, p.size[2] * d);
      if (p.axis === 'x') mesh.rotation.z = Math.PI / 2;
      if (p.axis === 'z') mesh.rotation.x = Math.PI / 2;
      group.add(mesh);
      if (p.motion) moving.push({ mesh, motion: p.motion, base: mesh.position.clone(), w, h, phase: i * 0.7 });
    }
    scene.add(group);
  });

  const animate = (t: number) => {
    for (const m of moving) {
      const s = Math.sin(t * 2.4 + m.phase);
      if (m.motion === 'lift') m.mesh.position.y = m.base.y + s * 0.08 * m.h;
      else if (m.motion === 'travel') m.mesh.position.x = m.base.x + s * 0.05 * m.w;
      else m.mesh.rotation.y = s * 0.9;
    }
  };
  const pixel = new Uint8Array(4);
  let renders = 0;
  let running = true;
  // the naive loop: draw every frame, changed or not
  const loop = (at: number) => {
    if (!running) return;
    animate(at / 1000);
    renderer.render(scene, camera);
    renders++;
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);

  return {
    frame(t) {
      const t0 = performance.now();
      animate(t);
      renderer.render(scene, camera);
      const gl = renderer.getContext();
      gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel);
      return performance.now() - t0;
    },
    drawCalls: () => renderer.info.render.calls,
    renders: () => renders,
    dispose() {
      running = false;
      renderer.dispose();
    },
  };
}
