/**
 * The scripts the one-shot Jobs and containers run (`infra/src/components/scripts/`): where they
 * are read from at plan time, where they land in a container, and the hash that makes a script
 * change a pod template change (so the Job is replaced and runs again).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The script files (`infra/src/components/scripts/`). */
export const SCRIPTS_SOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../components/scripts');

/** Where the scripts are mounted (Kubernetes ConfigMap volume) or uploaded (Docker). */
export const SCRIPTS_MOUNT = '/opt/enrichment/scripts';

/** Pod-template annotation holding {@link sha256Hex} of the scripts a Job runs. */
export const SCRIPTS_SHA_ANNOTATION = 'enrichment-platform/scripts-sha256';

/**
 * The Kubernetes volume of a scripts ConfigMap (files executable, `0555`) and its read-only mount
 * at {@link SCRIPTS_MOUNT}; both named `scripts`.
 */
export function scriptsVolume(configMapName: string) {
  return {
    volume: { name: 'scripts', configMap: { name: configMapName, defaultMode: 0o555 } },
    mount: { name: 'scripts', mountPath: SCRIPTS_MOUNT, readOnly: true },
  };
}

/** Docker uploads of script files (name → text) into {@link SCRIPTS_MOUNT}, executable. */
export function scriptUploads(files: Record<string, string>): { file: string; content: string; executable: true }[] {
  return Object.entries(files).map(([file, content]) => ({ file: `${SCRIPTS_MOUNT}/${file}`, content, executable: true }));
}

/**
 * The text of one script file.
 * @throws Error (ENOENT) when `scripts/<file>` does not exist.
 */
export function readScript(file: string): string {
  return readFileSync(path.join(SCRIPTS_SOURCE_DIR, file), 'utf8');
}

/** SHA-256 of a text, lowercase hex (64 characters). */
export function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
