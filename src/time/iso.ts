/**
 * `new Date(ms).toISOString()` by arithmetic: the first Date string a process formats costs 1.3-2.9 ms
 * on this VM (V8's date cache and ICU's time zone wake up, /etc/localtime is read), more than a whole
 * reply's record. Same text for every time value from 1970 to 9999 (test/unit/iso.test.ts compares
 * them); anything else is left to Date, errors included.
 */

/** 10000-01-01T00:00:00.000Z: the first time value toISOString writes with six year digits. */
const END = 253402300800000;

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);
const three = (n: number): string => (n < 10 ? `00${n}` : n < 100 ? `0${n}` : `${n}`);

export function isoTime(ms: number): string {
  if (!(ms >= 0 && ms < END)) return new Date(ms).toISOString();
  const t = Math.floor(ms); // Date's time value is the integer part (TimeClip)
  const days = Math.floor(t / 86400000);
  let rem = t - days * 86400000;
  const hh = Math.floor(rem / 3600000);
  rem -= hh * 3600000;
  const mi = Math.floor(rem / 60000);
  rem -= mi * 60000;
  const ss = Math.floor(rem / 1000);
  const frac = rem - ss * 1000;
  // Civil date from days since 1970-01-01 (H. Hinnant's days_from_civil, inverted; eras of 400 years from March 0000).
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${y}-${two(m)}-${two(d)}T${two(hh)}:${two(mi)}:${two(ss)}.${three(frac)}Z`;
}
