// Worker threads do not inherit the TypeScript loader of the process that starts them (Node 20):
// this plain-JS entry registers tsx in the worker, then loads the TypeScript worker.
import { register } from 'tsx/esm/api';

register();
await import('./sink-worker.ts');
