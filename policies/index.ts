/**
 * The CrossGuard policy pack of the production deployment checklist. The Pulumi CLI loads this
 * file (through `main.cjs`, see README.md) and serves the pack to the engine:
 *
 *   pulumi preview --stack prod --policy-pack policies
 *   pulumi preview --stack staging --policy-pack policies --policy-pack-config policies/config/staging.json
 *
 * Constructing a `PolicyPack` starts the analyzer's gRPC server (one per process), so nothing but
 * this entry point constructs it; the policies live in `src/rules/`, listed by `src/pack.ts`.
 */
import { PolicyPack } from '@pulumi/policy';
import { PACK_ENFORCEMENT_LEVEL, PACK_NAME, POLICIES } from './src/pack.js';

new PolicyPack(PACK_NAME, {
  description: 'Enforces the machine-checkable lines of the enrichment-platform production deployment checklist.',
  enforcementLevel: PACK_ENFORCEMENT_LEVEL,
  policies: POLICIES,
});
