/**
 * How a mongod container is recognised and whether it requires authentication, for both targets.
 * The official image enables `--auth` when `MONGO_INITDB_ROOT_USERNAME` and
 * `MONGO_INITDB_ROOT_PASSWORD` (or their `_FILE` forms) are set
 * (https://hub.docker.com/_/mongo, "Environment Variables").
 */
import { commandLine, containersOf, envOf, flagValue, type ContainerRef } from './kubernetes.js';
import type { Props } from './values.js';

/** An image of the official MongoDB server (`mongo:7.0`, `docker.io/library/mongo@sha256:...`). */
export const MONGO_IMAGE = /(^|\/)mongo(:|@|$)/;

/** The mongod containers of a pod spec (image `mongo`, not exporters or tools). */
export function mongodContainers(podSpec: Props): ContainerRef[] {
  return containersOf(podSpec).filter((c) => !c.init && typeof c.container.image === 'string' && MONGO_IMAGE.test(c.container.image));
}

/**
 * Why a mongod runs without authentication, or undefined when it requires it.
 *
 * @param envNames the names of the container's env vars.
 * @param argv     its command and args.
 */
export function authProblem(envNames: readonly string[], argv: readonly string[]): string | undefined {
  if (flagValue(argv, '--noauth') !== undefined) return 'disables authentication (--noauth)';
  const has = (name: string) => envNames.includes(name) || envNames.includes(`${name}_FILE`);
  const rootUser = has('MONGO_INITDB_ROOT_USERNAME') && has('MONGO_INITDB_ROOT_PASSWORD');
  if (rootUser || flagValue(argv, '--auth') !== undefined || flagValue(argv, '--keyFile') !== undefined) return undefined;
  return 'enables no authentication: set MONGO_INITDB_ROOT_USERNAME and MONGO_INITDB_ROOT_PASSWORD from a Secret, or start mongod with --auth or --keyFile';
}

/** {@link authProblem} of a Kubernetes container. */
export function mongodAuthProblem(container: Props): string | undefined {
  return authProblem(
    envOf(container).map((e) => e.name),
    commandLine(container),
  );
}
