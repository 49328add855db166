/**
 * Is WebGL there, and is it a software rasteriser? Asked once on a throwaway canvas, before the hall's
 * renderer picks its context attributes: antialiasing is off in software (DESIGN.md: with it, SwiftShader
 * at 1280×720 took 50-67 ms a frame instead of 33) and the pixel ratio starts at 1.
 */
export interface GpuInfo {
  webgl: boolean;
  software: boolean;
  renderer: string;
}

let cached: GpuInfo | null = null;

export function gpuInfo(): GpuInfo {
  if (cached) return cached;
  let info: GpuInfo = { webgl: false, software: false, renderer: '' };
  try {
    const canvas = document.createElement('canvas');
    const gl = canvas.getContext('webgl2') as WebGL2RenderingContext | null;
    if (gl) {
      const ext = gl.getExtension('WEBGL_debug_renderer_info');
      const renderer = String(ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
      info = { webgl: true, software: /swiftshader|llvmpipe|software|softpipe/i.test(renderer), renderer };
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch {
    /* no WebGL: the hall shows its tiles only */
  }
  cached = info;
  return info;
}
