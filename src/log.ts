/**
 * The logging seam. The library takes any pino-compatible logger (or none: silent); the CLI passes
 * a pino instance writing to stderr. Logs never go to stdout, which is for results.
 */
export interface Logger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

const noop = (): void => {};
export const silentLogger: Logger = { debug: noop, info: noop, warn: noop, error: noop };
