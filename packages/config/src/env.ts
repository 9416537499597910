import { LOG_FORMATS } from '@dossier/observability';
import { z } from 'zod';

/** `a:1, b:2` → ['a:1', 'b:2'] with empty entries rejected. */
export const csvList = () =>
  z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()))
    .pipe(z.array(z.string().min(1, 'empty entry in comma-separated list')).min(1));

export const port = () => z.coerce.number().int().min(0).max(65_535);

export const positiveInt = () => z.coerce.number().int().positive();

export const boolFlag = () => z.stringbool();

export const logLevel = () =>
  z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info');

/** `auto`: readable coloured lines when stdout is a terminal, JSON lines otherwise. */
export const logFormat = () => z.enum(LOG_FORMATS).default('auto');

/** `chdb:<dir>` (embedded engine) or an http(s) URL of a ClickHouse server. */
export const clickhouseUrl = () =>
  z.string().refine((v) => v.startsWith('chdb:') || /^https?:\/\/.+/.test(v), {
    message: 'expected chdb:<dir> or http(s)://host:port',
  });

const KEY_MESSAGE = 'expected 64 hexadecimal digits (a 32-byte key), e.g. from `openssl rand -hex 32`';

/** An AES-256 key as 64 hex digits (the dead-letter sealing key). A secret: never logged. */
export const secretKey = () => z.string().regex(/^[0-9a-fA-F]{64}$/, KEY_MESSAGE);

/** Comma-separated AES-256 keys (previous dead-letter keys kept for reading older rows). */
export const secretKeyList = () =>
  z
    .string()
    .transform((s) => s.split(',').map((part) => part.trim()))
    .pipe(z.array(z.string().regex(/^[0-9a-fA-F]{64}$/, KEY_MESSAGE)));

export const redisUrl = () =>
  z.string().refine((v) => /^rediss?:\/\/.+/.test(v), { message: 'expected redis://host:port[/db]' });

const UNITS: Record<string, number> = {
  '': 1,
  k: 1e3,
  m: 1e6,
  g: 1e9,
  t: 1e12,
  ki: 2 ** 10,
  mi: 2 ** 20,
  gi: 2 ** 30,
  ti: 2 ** 40,
};

/** A size in bytes: `4294967296`, `4GiB`, `512MiB`, `4G` (powers of 1000) or `4g`; a whole number of bytes out. */
export const byteSize = () =>
  z
    .string()
    .trim()
    .regex(/^\d+(\.\d+)?\s*([kmgt]i?)?b?$/i, 'expected bytes, e.g. 4294967296, 4GiB or 512MiB')
    .transform((s) => {
      const [, amount, unit] = /^(\d+(?:\.\d+)?)\s*([kmgt]i?)?b?$/i.exec(s) ?? [];
      return Math.floor(Number(amount) * (UNITS[(unit ?? '').toLowerCase()] ?? 1));
    });

/** A fraction between 0 and 1. */
export const share = () => z.coerce.number().min(0).max(1);
