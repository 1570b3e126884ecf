// `hvar upscale --bicubic IN OUT [--scale 4]`: the bicubic baseline (PyTorch bicubic, A = -0.75); PNG output is streamed in row bands.
import { extname } from 'node:path';
import { checkImageOutput, decodeImage, encodeJpeg, probeImageChecked, DEFAULT_MAX_PIXELS } from '../io/image.ts';
import { streamFileAtomic, writeFileAtomic } from '../io/atomic.ts';
import { writePngStream } from '../io/png_stream.ts';
import { bicubicSize, bicubicUpscale, bicubicUpscaleBands } from '../metrics/bicubic.ts';
import { SCALES, choiceIntFlag, intFlag, parseCommand, runCommand, UsageError } from './args.ts';

/** Largest PNG output (streamed, so bounded by disk, not memory): 2^30 pixels. */
export const DEFAULT_MAX_OUTPUT_PIXELS = 2 ** 30;

export const USAGE = `usage: hvar upscale --bicubic IN OUT [--scale 4] [--max-pixels N] [--max-output-pixels N]
  IN                     PNG or JPEG; OUT: .png (written in row bands) or .jpg/.jpeg (encoded in memory)
  --scale S              one of ${SCALES.join(', ')} (default 4)
  --max-pixels N         largest input accepted, and largest JPEG output, in pixels (default ${DEFAULT_MAX_PIXELS})
  --max-output-pixels N  largest PNG output in pixels (default ${DEFAULT_MAX_OUTPUT_PIXELS})`;

/** Output rows per band of the streamed PNG. */
const BAND = 64;

export async function main(argv: string[]): Promise<number> {
  return runCommand(async () => {
    const a = parseCommand('upscale', argv, { bicubic: { type: 'boolean' }, scale: { type: 'string' }, 'max-pixels': { type: 'string' },
      'max-output-pixels': { type: 'string' } }, { names: ['IN', 'OUT'] });
    if (!a) { console.log(USAGE); return 0; }
    if (!a.values.bicubic) throw new UsageError('upscale', 'the H-VAR model is not built yet; pass --bicubic for the bicubic baseline');
    const scale = choiceIntFlag('upscale', '--scale', a.values.scale, 4, SCALES);
    const maxPixels = intFlag('upscale', '--max-pixels', a.values['max-pixels'], DEFAULT_MAX_PIXELS, 1);
    const maxOut = intFlag('upscale', '--max-output-pixels', a.values['max-output-pixels'], DEFAULT_MAX_OUTPUT_PIXELS, 1);
    const [inp, out] = a.positionals as [string, string];
    checkImageOutput(out);
    const { info, buf } = probeImageChecked(inp, { maxPixels });
    const { oh, ow } = bicubicSize(info.height, info.width, scale);
    const png = extname(out).toLowerCase() === '.png';
    const limit = png ? maxOut : maxPixels;
    if (ow * oh > limit)
      throw new Error(`hvar upscale: output '${out}' would be ${ow}x${oh} = ${ow * oh} pixels, over the limit of ${limit} (raise it with ${png ? '--max-output-pixels' : '--max-pixels, or write a .png'})`);
    const img = decodeImage(buf, inp, { maxPixels });
    if (png) await streamFileAtomic(out, (write) => writePngStream(ow, oh, write, (emit) => bicubicUpscaleBands(img, scale, BAND, emit)));
    else writeFileAtomic(out, encodeJpeg(bicubicUpscale(img, scale)));
    console.log(`${inp} ${img.w}x${img.h} -> ${out} ${ow}x${oh} (bicubic x${scale})`);
    return 0;
  });
}
