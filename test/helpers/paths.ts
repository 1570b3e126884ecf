// Where the project's shared photos live: $HVAR_SHARED, else ../shared beside the repository (as in CI).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const candidates = [process.env.HVAR_SHARED, resolve(process.cwd(), '../shared'), '/work/shared'].filter(Boolean) as string[];
export const SHARED = candidates.find((p) => existsSync(resolve(p, 'data/train-2k'))) ?? resolve(process.cwd(), '../shared');
export const PHOTOS = resolve(SHARED, 'data/train-2k');
