/**
 * The Pulumi program (`Pulumi.yaml` `main: infra/index.ts`): validates the selected stack's
 * config, then declares the platform. Run with `pulumi preview` / `pulumi up` after
 * `pulumi stack select dev|staging|prod`; see README.md "Deploying with Pulumi".
 *
 * The same `createPlatform` runs under mocks in the tests (`infra/src/plan.ts`).
 */
import * as pulumi from '@pulumi/pulumi';
import { loadInfraConfig, stackValuesFromConfigMap } from './src/config.js';
import { createPlatform } from './src/platform.js';

const config = loadInfraConfig(pulumi.getStack(), stackValuesFromConfigMap(pulumi.runtime.allConfig()));
const platform = createPlatform(config);

export const stack = platform.stack;
export const target = platform.target;
export const reviewApiUrl = platform.reviewApiUrl;
export const costApiUrl = platform.costApiUrl;
export const grafanaUrl = platform.grafanaUrl;
export const image = platform.image;
