// Where the repository's photos live (data/train-2k, with PROVENANCE.md): the tests read them from the clone itself.
import { resolve } from 'node:path';

export const PHOTOS = resolve(process.cwd(), 'data/train-2k');
