// RGB images in the demo page: 3 float planes in [0, 1] (channel-first, as the engine's [1, 3, H, W] tensors), to and from canvas RGBA bytes.

/** An RGB image as 3 planes of height × width floats in [0, 1] (CHW order). */
export interface RgbImage { width: number; height: number; data: Float32Array }

/** RGBA bytes (a canvas's ImageData) to an RGB image; alpha is composited on white, as the library's image files do. */
export function fromRgba8(rgba: Uint8ClampedArray, width: number, height: number): RgbImage {
  const n = width * height;
  if (rgba.length !== 4 * n) throw new Error(`fromRgba8: ${rgba.length} bytes, expected 4·${width}·${height} = ${4 * n}`);
  const data = new Float32Array(3 * n);
  for (let i = 0; i < n; i++) {
    const a = rgba[4 * i + 3]! / 255;
    for (let c = 0; c < 3; c++) data[c * n + i] = (rgba[4 * i + c]! / 255) * a + (1 - a);
  }
  return { width, height, data };
}

/** An RGB image to opaque RGBA bytes: each value clamped to [0, 1] (bicubic overshoots), times 255, rounded. */
export function toRgba8(img: RgbImage): Uint8ClampedArray<ArrayBuffer> {
  const n = img.width * img.height;
  if (img.data.length !== 3 * n) throw new Error(`toRgba8: ${img.data.length} values, expected 3·${img.width}·${img.height} = ${3 * n}`);
  const rgba = new Uint8ClampedArray(4 * n);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = Math.round(Math.min(1, Math.max(0, img.data[c * n + i]!)) * 255);
    rgba[4 * i + 3] = 255;
  }
  return rgba;
}
