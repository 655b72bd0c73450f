/**
 * Runs a synchronous hardware step behind the async CoolingActuator interface: sysfs writes are fast and
 * synchronous, IPMI and Modbus ones are not, and the interface serves both. A throw becomes a rejection.
 */
export function settle(step: () => void): Promise<void> {
  try {
    step();
    return Promise.resolve();
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
