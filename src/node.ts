// The hvar library in Node and Deno: everything in src/index.ts plus image files (PNG, JPEG) read and written.
export * from './index.ts';
export {
  readImage, readImageSync, writeImage, writeImageSync, decodeImage, encodePng, encodeJpeg, probeImage, probeImageBuffer,
  makeImage, ImageReadError, type ImageCHW, type ImageInfo, type ImageLimits, type ImageFormat,
} from './io/image.ts';
