/**
 * Validation of library options: every failure is a UsageError naming the option key it came from
 * (`timeoutMs`, `sha`), with `option` set, so the CLI can name its flag (`--timeout`) instead.
 */
import { UsageError } from '../errors.js';
import { formatIpv4, normalizeMac, parseIpv4 } from '../wire/address.js';
import { ArpOp } from '../wire/codes.js';

export function checkIp(value: string, what: string): string {
  const v = parseIpv4(String(value));
  if (v === undefined) throw new UsageError('ERR_INVALID_IP', `${what}: "${value}" is not an IPv4 address`, { hint: 'use dotted-quad form, e.g. 192.0.2.10', option: what });
  return formatIpv4(v);
}

export function checkMac(value: string, what: string): string {
  const m = normalizeMac(String(value));
  if (!m) throw new UsageError('ERR_INVALID_MAC', `${what}: "${value}" is not a MAC address`, { hint: 'use six hex octets, e.g. 02:00:5e:10:00:01', option: what });
  return m;
}

export function checkInt(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  if (Number.isNaN(n)) throw new UsageError('ERR_INVALID_NUMBER', `${what}: "${String(value)}" is not a whole number`, { hint: `give a whole number from ${min} to ${max}`, option: what });
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError('ERR_INVALID_NUMBER', `${what}: "${String(value)}" must be a whole number from ${min} to ${max}`, { option: what });
  }
  return n;
}

/** "request" | "reply" | a number 0-65535. */
export function checkOp(value: string | number): number {
  if (typeof value === 'string') {
    const v = value.toLowerCase();
    if (v === 'request' || v === 'who-has') return ArpOp.Request;
    if (v === 'reply' || v === 'is-at') return ArpOp.Reply;
  }
  return checkInt(value, 'op', 0, 0xffff);
}

/** A number (fractions allowed: 0.5 ms) from min to max. */
export function checkNumber(value: unknown, what: string, min: number, max: number): number {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < min || n > max) {
    throw new UsageError('ERR_INVALID_NUMBER', `${what}: "${String(value)}" must be a number from ${min} to ${max}`, { option: what });
  }
  return n;
}
