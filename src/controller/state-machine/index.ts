export { transition } from "./transition.js";
export {
  initialState,
  type HostEvent,
  type HostFault,
  type HostFaultKind,
  type HostMachineState,
  type StateChange,
  type TransitionResult,
} from "./state.js";
export { DEFAULT_STATE_MACHINE_PARAMS, stateMachineParamProblems, type StateMachineParams } from "./params.js";
export { ACTIVE_STATES, TRANSITIONS, TRIGGER_NAMES, transitionFor, type TransitionRow, type TriggerName } from "./table.js";
export { STATE_DIAGRAM_END, STATE_DIAGRAM_START, embedStateDiagram, embeddedStateDiagram, renderStateDiagram } from "./diagram.js";
