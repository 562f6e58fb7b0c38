// Part of `npm run build`: tsc emits the console's scripts into dist/console/; its page and
// stylesheet are plain files copied next to them.
import { cpSync } from 'node:fs';

cpSync(new URL('./static/', import.meta.url), new URL('../dist/console/', import.meta.url), { recursive: true });
