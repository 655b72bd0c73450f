import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { FleetEvent } from "../controller/http/read-model.js";
import type { HostView } from "../controller/types.js";
import { ServiceNotifier } from "./sd-notify.js";
import { watchdogIntervalMs, WatchdogFeeder } from "./watchdog.js";

/** What the controller command needs from the running controller to report to systemd. */
export interface SupervisedController {
  subscribe(listener: (event: FleetEvent) => void): () => void;
}

export interface ControllerSupervisionOptions {
  clock: Clock;
  logger: Logger;
  /** Printed in READY's STATUS= line. */
  dashboardUrl: string;
  brokerUrl: string;
  env?: NodeJS.ProcessEnv;
  notifier?: ServiceNotifier;
}

export interface ControllerServiceNotifications {
  ready(): Promise<void>;
  stopping(): Promise<void>;
}

/**
 * The controller's side of its systemd unit. READY once the service is up (connected to the broker, HTTP
 * listening). The watchdog is fed from the controller's own periodic fleet round (the "hosts" event it emits each
 * second from the same clock-driven loop as planning), so a blocked event loop or a stopped controller stops the
 * pings and systemd restarts it.
 */
export function superviseController(controller: SupervisedController, options: ControllerSupervisionOptions): ControllerServiceNotifications {
  const env = options.env ?? process.env;
  const notifier = options.notifier ?? ServiceNotifier.fromEnv(options.logger, env);
  const feeder = new WatchdogFeeder(notifier, options.clock, watchdogIntervalMs(env));
  let unsubscribe: (() => void) | undefined;
  return {
    async ready() {
      if (feeder.enabled) {
        unsubscribe = controller.subscribe((event) => {
          if (event.type === "hosts") feeder.workCompleted(() => fleetStatus(event.hosts));
        });
      }
      await notifier.ready(`dashboard ${options.dashboardUrl}, broker ${options.brokerUrl}`);
    },
    stopping() {
      unsubscribe?.();
      return notifier.stopping("flushing telemetry to the store");
    },
  };
}

/** STATUS= for `systemctl status coolfleet-controller`. */
export function fleetStatus(hosts: readonly HostView[]): string {
  const online = hosts.filter((h) => h.online).length;
  const notRunning = hosts.filter((h) => h.online && h.state !== "Running").map((h) => `${h.hostId} ${h.state}`);
  return `${online}/${hosts.length} hosts online${notRunning.length > 0 ? `; ${notRunning.slice(0, 5).join(", ")}${notRunning.length > 5 ? ", …" : ""}` : ""}`;
}
