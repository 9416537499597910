import { createHash, timingSafeEqual } from 'node:crypto';

export type Role = 'viewer' | 'operator';

/** Who a request acts as: the credential's id (never its secret) and how it was presented. */
export interface Principal {
  role: Role;
  credentialId: string;
  via: 'bearer' | 'session';
}

export interface Grant {
  role: Role;
  credentialId: string;
}

export interface CredentialSettings {
  /** The operator token of `MONITOR_ADMIN_TOKEN`, credential id `admin`. */
  adminToken?: string;
  /** Named operator tokens (`MONITOR_OPERATOR_TOKENS`). */
  operatorTokens?: ReadonlyMap<string, string>;
  /** `MONITOR_VIEWER_TOKEN`: when set, reading needs a credential too. */
  viewerToken?: string;
}

export interface Credentials {
  /** False when no operator token is configured: every state-changing route then answers 403. */
  readonly operatorsConfigured: boolean;
  /** True when a viewer token is configured: reading then needs a credential too. */
  readonly viewerRequired: boolean;
  /** The grant a presented token carries, or undefined. */
  check(token: string): Grant | undefined;
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

export function createCredentials(settings: CredentialSettings): Credentials {
  const known: { digest: Buffer; grant: Grant }[] = [];
  if (settings.adminToken)
    known.push({ digest: digest(settings.adminToken), grant: { role: 'operator', credentialId: 'admin' } });
  for (const [id, token] of settings.operatorTokens ?? [])
    known.push({ digest: digest(token), grant: { role: 'operator', credentialId: id } });
  const operatorsConfigured = known.length > 0;
  if (settings.viewerToken)
    known.push({ digest: digest(settings.viewerToken), grant: { role: 'viewer', credentialId: 'viewer' } });
  return {
    operatorsConfigured,
    viewerRequired: settings.viewerToken !== undefined,
    check(token) {
      // Digests have one length, and every credential is compared whichever matches: the time taken
      // says nothing about how much of a token was right, nor which credential it resembled.
      const presented = digest(token);
      let found: Grant | undefined;
      for (const candidate of known)
        if (timingSafeEqual(presented, candidate.digest)) found ??= candidate.grant;
      return found;
    },
  };
}
