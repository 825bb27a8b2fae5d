// `node --import ./bench/register-raw.mjs`: installs ./raw-hooks.mjs.
import { register } from 'node:module';

register('./raw-hooks.mjs', import.meta.url);
