/**
 * Draws the hall on demand: a frame is rendered only when something changed (a state, the camera, the
 * size, the theme), never in a loop, so an idle hall costs nothing (idle renders = 0). While the user
 * orbits, frames that come too slowly lower the pixel ratio; when the camera stops, one frame at full
 * ratio follows. Picking by raycast on the instanced meshes.
 */
import * as THREE from 'three';
import { OrbitControls } from 'three/addons/controls/OrbitControls.js';
import { detailMinPx, type HallModel } from './build.js';
import { gpuInfo } from './gpu.js';

/** Frame interval above which an interaction lowers the pixel ratio (ms). */
const slowFrameMs = 24;
const minPixelRatio = 0.5;

export class HallRenderer {
  readonly renderer: THREE.WebGLRenderer;
  readonly camera = new THREE.PerspectiveCamera(38, 1, 0.5, 600);
  readonly controls: OrbitControls;
  /** frames rendered so far (the bench reads idle renders from it) */
  renders = 0;
  /** told after a frame drawn from a new camera or size (labels follow it); not for other changes */
  onView: (() => void) | null = null;
  private readonly lastView = new THREE.Matrix4();
  private model: HallModel | null = null;
  private frame = 0;
  private fullRatio: number;
  private ratio: number;
  private interacting = false;
  /** the user moved the camera: a resize keeps their view instead of framing the hall again */
  private userMoved = false;
  private lastFrameAt = 0;
  private slowFrames = 0;
  private readonly raycaster = new THREE.Raycaster();
  private readonly pixel = new Uint8Array(4);

  constructor(readonly canvas: HTMLCanvasElement) {
    const gpu = gpuInfo();
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: !gpu.software, powerPreference: 'high-performance', preserveDrawingBuffer: false });
    this.fullRatio = Math.min(window.devicePixelRatio || 1, gpu.software ? 1 : 2);
    this.ratio = this.fullRatio;
    this.renderer.setPixelRatio(this.ratio);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.enableDamping = false;
    this.controls.maxPolarAngle = Math.PI * 0.47;
    this.controls.minDistance = 6;
    this.controls.addEventListener('change', () => this.invalidate());
    this.controls.addEventListener('start', () => {
      this.interacting = true;
      this.userMoved = true;
    });
    this.controls.addEventListener('end', () => {
      this.interacting = false;
      this.slowFrames = 0;
      if (this.ratio !== this.fullRatio) this.setRatio(this.fullRatio);
    });
  }

  setModel(model: HallModel, background: string): void {
    this.model = model;
    this.setBackground(background);
    this.resetView();
  }

  setBackground(color: string): void {
    this.renderer.setClearColor(color);
    this.invalidate();
  }

  /** Looks at the whole hall from the front, a little to the right, framed to fill the canvas. */
  resetView(): void {
    if (!this.model) return;
    this.userMoved = false;
    const { width, depth } = this.model.hall;
    const r = Math.max(width, depth);
    const dir = new THREE.Vector3(0.1, 0.85, 0.75).normalize();
    const target = new THREE.Vector3(width / 2, 0, depth / 2);
    const corners = [0, width].flatMap((x) => [0, this.model!.height()].flatMap((y) => [0, depth].map((z) => new THREE.Vector3(x, y, z))));
    const place = (dist: number) => {
      this.camera.position.copy(target).addScaledVector(dir, dist);
      this.camera.lookAt(target);
      this.camera.updateMatrixWorld();
    };
    const ndc = () => corners.map((c) => c.clone().project(this.camera));
    const fits = () => ndc().every((p) => Math.abs(p.x) <= 0.94 && Math.abs(p.y) <= 0.9);
    // the nearest distance at which all of the hall is in view, then centred and fitted again
    const fit = () => {
      let lo = 1, hi = r * 10;
      for (let i = 0; i < 30; i++) {
        const mid = (lo + hi) / 2;
        place(mid);
        if (fits()) hi = mid;
        else lo = mid;
      }
      place(hi);
    };
    fit();
    const p = ndc();
    const cx = (Math.min(...p.map((v) => v.x)) + Math.max(...p.map((v) => v.x))) / 2;
    const cy = (Math.min(...p.map((v) => v.y)) + Math.max(...p.map((v) => v.y))) / 2;
    const shifted = new THREE.Vector3(cx, cy, new THREE.Vector3().copy(target).project(this.camera).z).unproject(this.camera);
    target.add(new THREE.Vector3(shifted.x - target.x, 0, shifted.z - target.z));
    fit();
    this.controls.target.copy(target);
    this.controls.maxDistance = r * 3;
    this.controls.update();
    this.invalidate();
  }

  resize(width: number, height: number): void {
    if (width <= 0 || height <= 0) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    if (!this.userMoved) this.resetView();
    this.invalidate();
  }

  /** Asks for one frame (several changes before it are drawn together). */
  invalidate(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame((at) => {
      this.frame = 0;
      this.adapt(at);
      this.renderNow();
    });
  }

  renderNow(): void {
    if (!this.model) return;
    this.model.setDetail(this.machinePx() >= detailMinPx ? 'detail' : 'coarse');
    this.renderer.render(this.model.scene, this.camera);
    this.renders++;
    const view = new THREE.Matrix4().multiplyMatrices(this.camera.projectionMatrix, this.camera.matrixWorldInverse);
    if (!view.equals(this.lastView)) {
      this.lastView.copy(view);
      this.onView?.();
    }
  }

  /**
   * One measured frame for the benchmark: the render call plus a forced 1-pixel readback, which waits
   * for the GPU (or SwiftShader) to finish the frame, so the time is the work, not the scheduler's tick.
   */
  measuredFrame(): number {
    const t0 = performance.now();
    this.renderNow();
    const gl = this.renderer.getContext();
    gl.readPixels(0, 0, 1, 1, gl.RGBA, gl.UNSIGNED_BYTE, this.pixel);
    return performance.now() - t0;
  }

  /** How many pixels a typical machine spans at the point the camera looks at. */
  machinePx(): number {
    if (!this.model) return 0;
    const dist = this.camera.position.distanceTo(this.controls.target);
    const metresHigh = 2 * dist * Math.tan(THREE.MathUtils.degToRad(this.camera.fov / 2));
    return (this.canvas.clientHeight / metresHigh) * this.model.typicalSize();
  }

  /** The machine index under a point of the canvas (client coordinates), or null. */
  pick(clientX: number, clientY: number): number | null {
    if (!this.model) return null;
    const r = this.canvas.getBoundingClientRect();
    const ndc = new THREE.Vector2(((clientX - r.left) / r.width) * 2 - 1, -((clientY - r.top) / r.height) * 2 + 1);
    this.raycaster.setFromCamera(ndc, this.camera);
    for (const hit of this.raycaster.intersectObjects(this.model.pickables(), false)) {
      const i = this.model.machineAt(hit.object, hit.instanceId);
      if (i !== null) return i;
    }
    return null;
  }

  /** Screen position (CSS px inside the canvas) of a machine's label anchor; null when behind the camera. */
  project(i: number, out = new THREE.Vector3(), at: 'label' | 'body' = 'label'): { x: number; y: number } | null {
    if (!this.model) return null;
    this.model.anchor(i, out);
    // the body: the footprint's centre at a third of the machine's height (where a click hits it)
    if (at === 'body') out.setY(this.model.machines[i]!.layout.footprint.h / 3);
    out.project(this.camera);
    if (out.z > 1) return null;
    const w = this.canvas.clientWidth, h = this.canvas.clientHeight;
    return { x: ((out.x + 1) / 2) * w, y: ((1 - out.y) / 2) * h };
  }

  /** Turns the camera a little around the hall (keyboard: the canvas has focus). */
  orbit(dAzimuth: number, dDistance = 1): void {
    const offset = this.camera.position.clone().sub(this.controls.target);
    offset.applyAxisAngle(new THREE.Vector3(0, 1, 0), dAzimuth).multiplyScalar(dDistance);
    this.camera.position.copy(this.controls.target).add(offset);
    this.controls.update();
  }

  dispose(): void {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.controls.dispose();
    this.renderer.dispose();
    this.model = null;
  }

  get pixelRatio(): number {
    return this.ratio;
  }

  // during an interaction, frames arriving slower than slowFrameMs (three in a row) lower the pixel ratio
  private adapt(at: number): void {
    if (this.interacting && this.lastFrameAt) {
      this.slowFrames = at - this.lastFrameAt > slowFrameMs ? this.slowFrames + 1 : 0;
      if (this.slowFrames >= 3 && this.ratio > minPixelRatio) {
        this.slowFrames = 0;
        this.setRatio(Math.max(minPixelRatio, this.ratio * 0.75));
      }
    }
    this.lastFrameAt = at;
  }

  private setRatio(r: number): void {
    this.ratio = r;
    this.renderer.setPixelRatio(r);
    this.resize(this.canvas.clientWidth, this.canvas.clientHeight);
  }
}
