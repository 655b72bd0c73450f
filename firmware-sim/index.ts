/** The hardware simulator's public surface: physics, profiles, workloads, simulated devices and the fleet runner. */
export type {
  CoolingKind,
  DriveState,
  FanState,
  LiquidLoopState,
  SimInputs,
  SimSnapshot,
  SocketState,
} from "./physics/types.js";
export { SimHost } from "./physics/sim-host.js";
export { listProfiles, loadProfile, type HostProfile } from "./profiles/index.js";
export { createWorkload, loadTraceCsv, type Workload, type WorkloadId } from "./workloads/index.js";
export { createRng, type Rng } from "./rng.js";

export type { DeviceProfile, PhysicsHost, WorkloadInputs, WorkloadSource } from "./devices/device-contracts.js";
export { SimulatedHostDevice, type ControlStatus, type SimulatedHostDeviceOptions } from "./devices/simulated-host.js";
export type { FanControlMode } from "./devices/fan-control.js";
export type { HwmonChipInfo } from "./devices/hwmon-tree.js";
export { SentinelValue, type SensorFault, type SensorFaultKind } from "./devices/sensor-fault.js";
export { StepwiseFanCurve } from "./devices/firmware-fan-curve.js";
export { BYTES_PER_MB, SECTOR_BYTES, USER_HZ } from "./devices/procfs.js";
export { SIM_ROOT_MARKER } from "./devices/host-root.js";

export { DEFAULT_SIM_PROFILE, DEFAULT_SIM_WORKLOAD, SimFleet, simHostId, type SimFleetOptions } from "./fleet.js";

export { SimulatedBmc } from "./bmc/index.js";
export { SimulatedCdu } from "./cdu/index.js";
export { SimulatedSmcHelper } from "./smc/index.js";
export { SimulatedLiquidPowerEdge } from "./liquid-poweredge.js";
