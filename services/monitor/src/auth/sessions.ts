import { createHash, randomBytes } from 'node:crypto';
import type { Grant } from './credentials.ts';

export interface Session extends Grant {
  expiresAt: number;
}

export interface SessionStore {
  /** A new session for a checked grant: the cookie value (shown once) and when it ends. */
  create(grant: Grant): { token: string; expiresAt: number };
  find(token: string): Session | undefined;
  /** Logout: the token stops working at once. */
  remove(token: string): void;
  readonly size: number;
}

export interface SessionStoreOptions {
  ttlMs: number;
  /** Memory is a budget: past this many live sessions the oldest one ends. */
  maxSessions?: number;
  now?: () => number;
}

// Sessions are kept by the hash of their token, so the map never holds a value a cookie could carry.
const key = (token: string) => createHash('sha256').update(token).digest('base64url');

/**
 * Browser sessions in this process's memory: a restart logs everyone out, which suits an operator tool
 * (the bearer token keeps working for scripts); several monitor replicas need sticky sessions.
 */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const now = options.now ?? Date.now;
  const max = options.maxSessions ?? 1_000;
  const sessions = new Map<string, Session>();
  const sweep = () => {
    const at = now();
    for (const [k, s] of sessions) if (s.expiresAt <= at) sessions.delete(k);
  };
  return {
    create(grant) {
      sweep();
      // Map iteration is insertion order: the first key is the oldest session.
      while (sessions.size >= max) sessions.delete(sessions.keys().next().value as string);
      const token = randomBytes(32).toString('base64url');
      const expiresAt = now() + options.ttlMs;
      sessions.set(key(token), { ...grant, expiresAt });
      return { token, expiresAt };
    },
    find(token) {
      const k = key(token);
      const session = sessions.get(k);
      if (!session) return undefined;
      if (session.expiresAt > now()) return session;
      sessions.delete(k);
      return undefined;
    },
    remove(token) {
      sessions.delete(key(token));
    },
    get size() {
      return sessions.size;
    },
  };
}
