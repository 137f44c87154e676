// How a service's image starts it, read from its Dockerfile, so that benchmarks and tests run a
// service exactly as the image does instead of keeping copies of its flags.
import { readFileSync } from 'node:fs';
import { REPO_ROOT } from './infra.ts';

function dockerfile(service: string): string {
  return readFileSync(`${REPO_ROOT}deploy/docker/${service}.Dockerfile`, 'utf8');
}

/**
 * The node flags of the image's CMD (["node", flags…, entry]), less `--import tsx`: whoever starts
 * the entry loads TypeScript its own way.
 */
export function imageNodeFlags(service: string): string[] {
  const cmd = [...dockerfile(service).matchAll(/^CMD (\[.*\])$/gm)].at(-1)?.[1];
  if (cmd === undefined) throw new Error(`deploy/docker/${service}.Dockerfile has no CMD`);
  const args = (JSON.parse(cmd) as string[]).slice(1, -1);
  const loader = args.indexOf('--import');
  if (loader >= 0 && args[loader + 1] === 'tsx') args.splice(loader, 2);
  return args;
}

/** A variable the image's ENV sets. */
export function imageEnv(service: string, name: string): string {
  const value = new RegExp(`\\b${name}=(\\S+)`).exec(dockerfile(service))?.[1];
  if (value === undefined) throw new Error(`deploy/docker/${service}.Dockerfile sets no ${name}`);
  return value;
}
