import { CoolfleetError, ErrorCode } from "../../core/errors.js";

/**
 * Applies a write to every channel even when one fails (one bad channel must not leave the others at a
 * stale duty or in manual mode), then reports every failure at once.
 */
export function writeEach<T>(items: readonly T[], write: (item: T) => void): void {
  const failures: CoolfleetError[] = [];
  for (const item of items) {
    try {
      write(item);
    } catch (err) {
      failures.push(
        err instanceof CoolfleetError ? err : new CoolfleetError(ErrorCode.HwmonWriteFailed, String(err), { cause: err }),
      );
    }
  }
  if (failures.length === 1) throw failures[0]!;
  if (failures.length > 1) {
    throw new CoolfleetError(ErrorCode.HwmonWriteFailed, failures.map((f) => f.message).join("; "), { cause: failures });
  }
}
