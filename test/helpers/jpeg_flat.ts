// A tiny baseline JPEG writer for tests: flat 8x8 blocks, 1..4 components, optional Adobe APP14 (colour transform code).
/** `blocks[by][bx][comp]` is the sample value (0..255) of that block in that component; the image is 8*bx by 8*by. */
export function flatJpeg(blocks: number[][][], adobeTransform?: 0 | 1 | 2, sof = 0xc0): Uint8Array {
  const bh = blocks.length, bw = blocks[0]!.length, nc = blocks[0]![0]!.length;
  const out: number[] = [0xff, 0xd8];
  const seg = (m: number, body: number[]) => out.push(0xff, m, (body.length + 2) >> 8, (body.length + 2) & 255, ...body);
  if (adobeTransform !== undefined) seg(0xee, [...'Adobe'].map((c) => c.charCodeAt(0)).concat([0, 100, 0, 0, 0, 0, adobeTransform]));
  seg(0xdb, [0, ...new Array(64).fill(1)]);
  const comps = Array.from({ length: nc }, (_, i) => [i + 1, 0x11, 0]).flat();
  seg(sof, [8, (8 * bh) >> 8, (8 * bh) & 255, (8 * bw) >> 8, (8 * bw) & 255, nc, ...comps]);
  // DC: categories 0..11 as 4-bit codes 0000..1011; AC: only EOB, code '0'.
  seg(0xc4, [0x00, 0, 0, 0, 12, ...new Array(12).fill(0), ...Array.from({ length: 12 }, (_, i) => i)]);
  seg(0xc4, [0x10, 1, ...new Array(15).fill(0), 0x00]);
  seg(0xda, [nc, ...Array.from({ length: nc }, (_, i) => [i + 1, 0x00]).flat(), 0, 63, 0]);
  let acc = 0, nbits = 0;
  const put = (v: number, n: number) => {
    for (let i = n - 1; i >= 0; i--) {
      acc = (acc << 1) | ((v >> i) & 1);
      if (++nbits === 8) { out.push(acc); if (acc === 0xff) out.push(0); acc = 0; nbits = 0; }
    }
  };
  const pred = new Array(nc).fill(0);
  for (const row of blocks) for (const b of row) for (let c = 0; c < nc; c++) {
    const dc = 8 * (b[c]! - 128), diff = dc - pred[c];
    pred[c] = dc;
    const cat = diff === 0 ? 0 : Math.floor(Math.log2(Math.abs(diff))) + 1;
    put(cat, 4);
    if (cat) put(diff < 0 ? diff + (1 << cat) - 1 : diff, cat);
    put(0, 1); // EOB
  }
  if (nbits) put((1 << (8 - nbits)) - 1, 8 - nbits);
  out.push(0xff, 0xd9);
  return Uint8Array.from(out);
}
