// The adapter profile: detection from adapter facts, overrides, and refusal of kernels the adapter cannot run.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { detectProfile } from '../../src/engine/runtime/profile.ts';
import { getDevice, closeDevice } from '../helpers/gpu.ts';

const lavapipe = { vendor: 'mesa', architecture: 'software', description: 'llvmpipe: Mesa 25.0.7 (LLVM 15.0.6)', subgroupMinSize: 8,
  features: ['subgroups', 'shader-f16'], wgslFeatures: ['readonly_and_readwrite_storage_textures', 'subgroup_id'] };

test('lavapipe with subgroups and storage textures: a CPU profile with the texture, then the subgroup kernels first', () => {
  const p = detectProfile(lavapipe);
  assert.is(p.kind, 'cpu');
  assert.ok(p.subgroups8);
  assert.ok(p.storageTextures);
  assert.equal([...p.matmul], ['texture-32x64', 'subgroup-8', 'vec4-8x1', 'strided-8x1']);
  assert.ok(p.matmulTextureMin > 0, 'tiny products skip the texture kernel by default');
  assert.ok(p.convTextureMin > 0 && p.convTextureMinOut > 0 && p.convShiftMinOut > 0, 'small convolutions keep the direct kernels by default');
  assert.ok(p.convWeightGradTextureMin > 0 && p.convWeightGradMinOut > 0, 'small weight gradients keep the direct kernel by default');
  assert.is(p.attention.subgroups, true);
  assert.is(p.attention.lanes, 8);
  assert.ok(p.attention.textureForward && p.attention.textureDq && p.attention.textureDkdv, 'attention takes the texture kernels');
  assert.ok(p.attention.textureMin > 0, 'tiny attention calls keep the buffer kernels by default');
});

test('attention texture kernels: off without storage textures or subgroups, off with the subgroup kernels, refused when forced', () => {
  const off = (p: ReturnType<typeof detectProfile>) => !p.attention.textureForward && !p.attention.textureDq && !p.attention.textureDkdv;
  assert.ok(off(detectProfile({ ...lavapipe, wgslFeatures: [] })), 'no storage textures');
  assert.ok(off(detectProfile({ features: [], wgslFeatures: ['readonly_and_readwrite_storage_textures'] })), 'Deno: no subgroups');
  assert.ok(off(detectProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', subgroupMinSize: 32, features: ['subgroups'],
    wgslFeatures: ['readonly_and_readwrite_storage_textures'] })), 'GPUs: unmeasured, off');
  assert.ok(off(detectProfile(lavapipe, { attention: { subgroups: false } })), 'subgroups: false turns the texture kernels off');
  assert.is(detectProfile(lavapipe, { attention: { textureDkdv: false } }).attention.textureDq, true, 'one kernel off, the others on');
  assert.throws(() => detectProfile({ ...lavapipe, wgslFeatures: [] }, { attention: { textureForward: true } }), /attention\.textureForward needs .*storage textures/);
  assert.throws(() => detectProfile(lavapipe, { attention: { subgroups: false, textureDq: true } }), /attention\.textureDq needs/);
});

test('nearest-code texture search: on for lavapipe from a row threshold; off without subgroups (Deno), storage textures, or on GPUs; refused when forced', () => {
  const p = detectProfile(lavapipe);
  assert.ok(p.nearestCodeTexture);
  assert.ok(p.nearestCodeTextureMinRows > 0, 'scales of a few tokens keep the buffer kernel by default');
  assert.not.ok(detectProfile({ features: [], wgslFeatures: ['readonly_and_readwrite_storage_textures'] }).nearestCodeTexture, 'Deno: no subgroups');
  assert.not.ok(detectProfile({ ...lavapipe, wgslFeatures: [] }).nearestCodeTexture, 'no storage textures');
  assert.not.ok(detectProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', subgroupMinSize: 32, features: ['subgroups'],
    wgslFeatures: ['readonly_and_readwrite_storage_textures'] }).nearestCodeTexture, 'GPUs: unmeasured, off');
  assert.not.ok(detectProfile(lavapipe, { nearestCodeTexture: false }).nearestCodeTexture);
  assert.throws(() => detectProfile({ features: [] }, { nearestCodeTexture: true }), /nearestCodeTexture needs subgroups of at least 8 invocations and read-only storage textures/);
});

test('conv2d weight gradient with x as a uniform window: on for lavapipe, off without subgroups or on GPUs, refused when forced', () => {
  assert.ok(detectProfile(lavapipe).convWeightGradUniformX);
  assert.not.ok(detectProfile(lavapipe, { subgroups8: false }).convWeightGradUniformX, 'no subgroups');
  assert.not.ok(detectProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', subgroupMinSize: 32, features: ['subgroups'],
    wgslFeatures: ['readonly_and_readwrite_storage_textures'] }).convWeightGradUniformX, 'GPUs: unmeasured, off');
  assert.throws(() => detectProfile({ features: [] }, { convWeightGradUniformX: true }), /convWeightGradUniformX needs subgroups/);
});

test('an adapter that reports nothing (Deno) counts as a CPU adapter without subgroups', () => {
  const p = detectProfile({ features: [] });
  assert.is(p.kind, 'cpu');
  assert.not.ok(p.subgroups8);
  assert.equal([...p.matmul], ['vec4-8x1', 'strided-8x1']);
  assert.is(p.attention.subgroups, false);
  assert.not.ok(p.textureMatmul);
  // Deno's wgpu has read-only storage textures but no subgroups: the texture product (matmul_tex_loads) first; the
  // attention and quantizer texture kernels need subgroups and stay off.
  const deno = detectProfile({ features: [], wgslFeatures: ['readonly_and_readwrite_storage_textures'] });
  assert.ok(deno.storageTextures && deno.textureMatmul);
  assert.equal([...deno.matmul], ['texture-32x64', 'vec4-8x1', 'strided-8x1']);
  assert.not.ok(deno.attention.textureForward || deno.nearestCodeTexture);
});

test('subgroups8 / storageTextures: false run an adapter as one without them; true cannot add what it lacks', () => {
  const p = detectProfile(lavapipe, { subgroups8: false });
  assert.not.ok(p.subgroups8);
  assert.ok(p.textureMatmul, 'a CPU adapter keeps the texture product (every lane loads A)');
  assert.equal([...p.matmul], ['texture-32x64', 'vec4-8x1', 'strided-8x1']);
  assert.is(p.attention.subgroups, false);
  assert.not.ok(p.attention.textureForward || p.attention.textureDq || p.attention.textureDkdv || p.nearestCodeTexture);
  const q = detectProfile(lavapipe, { storageTextures: false });
  assert.not.ok(q.textureMatmul);
  assert.equal([...q.matmul], ['subgroup-8', 'vec4-8x1', 'strided-8x1']);
  assert.not.ok(detectProfile(lavapipe, { textureMatmul: false }).matmul.includes('texture-32x64'), 'textureMatmul: false drops the variant');
  assert.throws(() => detectProfile({ features: [] }, { subgroups8: true }), /subgroups8: true, but this adapter lacks subgroups/);
  assert.throws(() => detectProfile({ ...lavapipe, wgslFeatures: [] }, { storageTextures: true }), /storageTextures: true, but this adapter lacks read-only storage textures/);
  assert.throws(() => detectProfile({ features: [], wgslFeatures: [] }, { textureMatmul: true }), /textureMatmul needs read-only storage textures/);
  // A GPU without subgroups: no texture product (matmul_tex_loads is measured on CPU adapters only).
  assert.not.ok(detectProfile({ vendor: 'nvidia', description: 'NVIDIA H100', features: [], wgslFeatures: ['readonly_and_readwrite_storage_textures'] }).textureMatmul);
});

test('subgroups without read-only storage textures: the subgroup kernel first', () => {
  const p = detectProfile({ ...lavapipe, wgslFeatures: [] });
  assert.not.ok(p.storageTextures);
  assert.equal([...p.matmul], ['subgroup-8', 'vec4-8x1', 'strided-8x1']);
});

test('a GPU: wider workgroups, no subgroup kernels unless asked; subgroups of 4 do not count', () => {
  const p = detectProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', subgroupMinSize: 32, features: ['subgroups'] });
  assert.is(p.kind, 'gpu');
  assert.equal([...p.matmul], ['vec4-8x8', 'strided-8x8']);
  assert.is(p.attention.subgroups, false);
  assert.is(p.attention.lanes, 16);
  assert.is(detectProfile({ ...lavapipe, subgroupMinSize: 4 }).subgroups8, false);
});

test('overrides replace single fields; kernels the adapter lacks are refused', () => {
  const p = detectProfile(lavapipe, { attention: { subgroups: false, rows: 4 } });
  assert.is(p.attention.subgroups, false);
  assert.is(p.attention.rows, 4);
  assert.is(p.attention.lanes, 8);
  assert.ok(Object.isFrozen(p) && Object.isFrozen(p.attention), 'profile is mutable');
  assert.throws(() => detectProfile({ features: [] }, { attention: { subgroups: true } }), /attention\.subgroups needs subgroups/);
  assert.throws(() => detectProfile({ features: [] }, { matmul: ['subgroup-8', 'strided-8x1'] }), /'subgroup-8' needs subgroups/);
  assert.throws(() => detectProfile({ ...lavapipe, wgslFeatures: [] }, { matmul: ['texture-32x64', 'strided-8x1'] }), /'texture-32x64' needs .*storage textures/);
});

test('a device carries its profile, and its overrides reach the ops', async () => {
  const dev = await getDevice();
  assert.ok(['cpu', 'gpu'].includes(dev.profile.kind));
  const { Device, fromArray, ops } = await import('../../src/engine/index.ts');
  const strided = await Device.create({ profile: { matmul: ['strided-8x1'] } });
  assert.equal([...strided.profile.matmul], ['strided-8x1']);
  const a = fromArray(strided, [1, 2, 3, 4, 5, 6], [2, 3]);
  assert.equal([...(await ops.matmul(a, a, { transB: true }).toArray())], [14, 32, 32, 77]);
  strided.destroy();
});

test('per-row reductions (layerNorm, groupNorm plane sums, conv2d bias gradient): on CPU adapters from 16 rows (with or without subgroups), off on GPUs, overridable', () => {
  assert.is(detectProfile(lavapipe).perRowReductionMinRows, 16);
  assert.is(detectProfile({ features: [], wgslFeatures: [] }).perRowReductionMinRows, 16, "Deno's wgpu (no name): a CPU adapter");
  assert.is(detectProfile({ vendor: 'nvidia', architecture: 'hopper', description: 'NVIDIA H100', subgroupMinSize: 32, features: ['subgroups'] }).perRowReductionMinRows, 0, 'GPUs: one workgroup per row');
  assert.is(detectProfile(lavapipe, { perRowReductionMinRows: 0 }).perRowReductionMinRows, 0);
});

test.after(closeDevice);

test.run();
