// The hvar library in Node and Deno: everything in src/index.ts plus image files (PNG, JPEG) read and written, and model bundle files.
export * from './index.ts';
export {
  readImage, readImageSync, writeImage, writeImageSync, decodeImage, encodePng, encodeJpeg, probeImage, probeImageBuffer,
  makeImage, ImageReadError, type ImageCHW, type ImageInfo, type ImageLimits, type ImageFormat,
} from './io/image.ts';
export { loadBundle, saveBundle, describeBundle } from './upscale/bundle_file.ts';
