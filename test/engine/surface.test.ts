// The public surface holds: models, training and upscaler code import the engine only through its entry (src/engine/index.ts),
// and no kernel parameters are packed by position anywhere in src/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

const walk = (d: string): string[] => readdirSync(d).flatMap((n) => (statSync(join(d, n)).isDirectory() ? walk(join(d, n)) : [join(d, n)]));
const sources = (d: string) => walk(d).filter((f) => f.endsWith('.ts'));

test('src/models, src/train, src/metrics and src/upscale import the engine only through src/engine/index.ts', () => {
  const bad: string[] = [];
  for (const f of [...sources('src/models'), ...sources('src/train'), ...sources('src/metrics'), ...sources('src/upscale')]) {
    for (const [i, line] of readFileSync(f, 'utf8').split('\n').entries()) {
      const m = /(?:from|import\()\s*['"]([^'"]+)['"]/.exec(line);
      if (m && /\/engine\//.test(m[1]!) && !/\/engine\/index\.ts$/.test(m[1]!)) bad.push(`${f}:${i + 1}: ${m[1]}`);
    }
  }
  assert.equal(bad, [], `imports of engine internals:\n${bad.join('\n')}`);
});

test('no kernel Params packed by position (params().u32(...) chains) in src/', () => {
  const bad = sources('src').filter((f) => !f.endsWith('kernels.gen.ts') && /\bparams\(\)\s*\.\s*(u32|i32|f32|vec4)/.test(readFileSync(f, 'utf8')));
  assert.equal(bad, []);
});

test.run();
