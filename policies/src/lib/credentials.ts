/** Credentials written into command lines (`--password=...`, `mongodb://user:password@...`). */
import { uriPassword } from './secrets.js';

/** A shell or Kubernetes reference (`$(VAR)`, `${VAR}`, `$VAR`): resolved at run time from a Secret. */
const REFERENCE = /\$\(|\$\{|\$[A-Za-z_]/;

/**
 * The arguments that carry a literal credential, redacted for messages: a URI with a password, or
 * a `--password=`/`--secret=`/`--token=` style flag with a literal value.
 */
export function credentialArguments(argv: readonly string[]): string[] {
  const found: string[] = [];
  for (const word of argv.flatMap((a) => a.split(/\s+/)).filter(Boolean)) {
    const password = uriPassword(word.replace(/^[^=]*=/, ''));
    if (password !== undefined && password !== '' && !REFERENCE.test(password)) {
      found.push(word.replace(password, '***'));
      continue;
    }
    const flag = /^(--?[\w.-]*(?:password|passwd|secret|token)[\w.-]*)=(.+)$/i.exec(word);
    if (flag && !REFERENCE.test(flag[2]!) && !/_?file$/i.test(flag[1]!)) found.push(`${flag[1]}=***`);
  }
  return found;
}
