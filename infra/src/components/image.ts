/**
 * AppImage (`enrichment:app:AppImage`): the app image of every process (`Dockerfile` at the
 * repository root), built with `@pulumi/docker` and pushed to the configured registry, or the
 * reference of an image CI pushed already (`config.image.build: false`).
 *
 * Issue 4, "Application services": "A Dockerfile for the app image, built through
 * `@pulumi/docker` and pushed to a configurable registry".
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as docker from '@pulumi/docker';
import * as pulumi from '@pulumi/pulumi';
import type { ComponentBaseArgs } from '../types.js';

/** The Pulumi type token of {@link AppImage}. */
export const APP_IMAGE_TYPE = 'enrichment:app:AppImage';

/** Repository root: the build context (`infra/src/components/` is three levels down). */
export const BUILD_CONTEXT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
/** The app's Dockerfile. */
export const DOCKERFILE = path.join(BUILD_CONTEXT, 'Dockerfile');
/** The cluster nodes' platform; the dev stack builds for the same so one Dockerfile serves both. */
export const IMAGE_PLATFORM = 'linux/amd64';

export interface AppImageArgs extends ComponentBaseArgs {
  /** Registry password for the push (`registryPassword` stack secret); undefined: no login. */
  registryPassword?: pulumi.Input<string> | undefined;
}

/**
 * The registry host of an image repository, following Docker's reference rules: the first path
 * component when it contains `.` or `:` or is `localhost`, else Docker Hub.
 *
 * @example registryServer('ghcr.io/acme/app') // 'ghcr.io'
 * @example registryServer('acme/app')         // 'docker.io'
 */
export function registryServer(repository: string): string {
  const first = repository.split('/')[0] ?? '';
  return repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/**
 * Builds (and, on Kubernetes stacks, pushes) the app image, or passes the configured reference on.
 *
 * Output {@link imageRef}: what workloads run. Kubernetes: the pushed image by digest
 * (`repo@sha256:...`), so a rollout always runs exactly the image built; Docker (dev): the local
 * `repository:tag` (dev never pushes); `build: false`: `repository:tag` as configured.
 */
export class AppImage extends pulumi.ComponentResource {
  readonly imageRef: pulumi.Output<string>;
  /** The build, when `config.image.build`. */
  readonly image: docker.Image | undefined;

  constructor(name: string, args: AppImageArgs, opts?: pulumi.ComponentResourceOptions) {
    super(APP_IMAGE_TYPE, name, {}, opts);
    const { config, target } = args;
    const imageName = `${config.image.repository}:${config.image.tag}`;
    if (!config.image.build) {
      this.image = undefined;
      this.imageRef = pulumi.output(imageName);
    } else {
      const push = target.kind === 'kubernetes';
      const registry =
        push && config.image.registryUsername
          ? {
              server: registryServer(config.image.repository),
              username: config.image.registryUsername,
              ...(args.registryPassword ? { password: pulumi.secret(args.registryPassword) } : {}),
            }
          : undefined;
      this.image = new docker.Image(
        `${name}-image`,
        {
          imageName,
          build: {
            context: BUILD_CONTEXT,
            dockerfile: DOCKERFILE,
            platform: IMAGE_PLATFORM,
            args: { VERSION: config.image.tag },
          },
          skipPush: !push,
          ...(registry ? { registry } : {}),
        },
        // Kubernetes stacks build with the ambient Docker engine (default provider), not the
        // cluster's provider; dev builds on the engine it deploys to.
        { parent: this, ...(target.kind === 'docker' ? { provider: target.provider } : {}) },
      );
      this.imageRef = push
        ? pulumi.all([this.image.repoDigest, this.image.imageName]).apply(([digest, nameOut]) => digest || nameOut)
        : this.image.imageName;
    }
    this.registerOutputs({ imageRef: this.imageRef });
  }
}
