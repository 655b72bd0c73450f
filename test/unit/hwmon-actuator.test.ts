import { mkdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { ApplesmcFanActuator, createHwmonActuator, HwmonDiscovery, HwmonPwmActuator } from "../../src/hardware/hwmon/index.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { addHwmonChip } from "../fixtures/sysfs/hwmon-chip.js";
import { applesmc, coretemp, d5next, nct6798 } from "../fixtures/sysfs/hwmon-presets.js";

const NCT = "/sys/devices/platform/nct6775.656/hwmon/hwmon2";
const SMC = "/sys/devices/platform/applesmc.768";

const roots: FakeRoot[] = [];
function fakeRoot(): FakeRoot {
  const root = new FakeRoot();
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) root.cleanup();
});

function serverWithNct(pwmEnable = 2): FakeRoot {
  const root = fakeRoot();
  addHwmonChip(root, coretemp(0, 0, 50, [48, 49]));
  addHwmonChip(root, nct6798(2, { pwmDuty: [128, 90, 200], pwmEnable }));
  return root;
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error("expected a rejection");
}

describe("HwmonPwmActuator", () => {
  it("takes manual control, sets duty, and restores the automatic mode (2) and duty it found", async () => {
    const root = serverWithNct(2);
    const fans = createHwmonActuator(root.dir, { chip: "nct6798", channels: [1, 3] });
    expect(fans).toBeInstanceOf(HwmonPwmActuator);
    expect(fans.channels).toBe(2);

    await fans.takeControl();
    expect([root.read(`${NCT}/pwm1_enable`), root.read(`${NCT}/pwm3_enable`), root.read(`${NCT}/pwm2_enable`)]).toEqual(["1", "1", "2\n"]);

    await fans.setPct(40);
    expect(root.read(`${NCT}/pwm1`)).toBe("102");
    expect(root.read(`${NCT}/pwm3`)).toBe("102");
    expect(root.read(`${NCT}/pwm2`)).toBe("90\n");
    await fans.setPct(100);
    expect(root.read(`${NCT}/pwm1`)).toBe("255");
    await fans.setPct(250); // clamped, never an invalid register value
    expect(root.read(`${NCT}/pwm1`)).toBe("255");

    await fans.restore();
    expect([root.read(`${NCT}/pwm1_enable`), root.read(`${NCT}/pwm1`)]).toEqual(["2", "128"]);
    expect([root.read(`${NCT}/pwm3_enable`), root.read(`${NCT}/pwm3`)]).toEqual(["2", "200"]);
  });

  it("restores what it found before the first takeControl, and restore is idempotent", async () => {
    const root = serverWithNct(5);
    const fans = createHwmonActuator(root.dir, { chip: "nct6798", channels: [1] });
    await fans.takeControl();
    await fans.takeControl();
    await fans.restore();
    expect(root.read(`${NCT}/pwm1_enable`)).toBe("5");

    root.write(`${NCT}/pwm1_enable`, "3"); // someone else changes the mode afterwards
    await fans.restore();
    expect(root.read(`${NCT}/pwm1_enable`)).toBe("3");
  });

  it("drives pwm channels that have no enable file (d5next pump)", async () => {
    const root = fakeRoot();
    addHwmonChip(root, d5next(1));
    const pump = createHwmonActuator(root.dir, { chip: "d5next", channels: [1] });
    const dir = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.0/0003:0C70:F00E.0001/hwmon/hwmon1";
    await pump.takeControl();
    await pump.setPct(80);
    expect(root.read(`${dir}/pwm1`)).toBe("204");
    await pump.restore();
    expect(root.read(`${dir}/pwm1`)).toBe("153");
  });

  it("fails with HwmonWriteFailed naming the file, and still writes the other channels", async () => {
    const root = serverWithNct();
    const fans = createHwmonActuator(root.dir, { chip: "nct6798", channels: [1, 2] });
    await fans.takeControl();
    root.remove(`${NCT}/pwm1`);
    mkdirSync(root.path(`${NCT}/pwm1`));
    const err = await rejection(fans.setPct(60));
    expect(isCoolfleetError(err, ErrorCode.HwmonWriteFailed)).toBe(true);
    expect((err as Error).message).toContain(root.path(`${NCT}/pwm1`));
    expect(root.read(`${NCT}/pwm2`)).toBe("153");
  });

  it("refuses a non-numeric percentage", async () => {
    const fans = createHwmonActuator(serverWithNct().dir, { chip: "nct6798", channels: [1] });
    expect(isCoolfleetError(await rejection(fans.setPct(Number.NaN)), ErrorCode.HwmonWriteFailed)).toBe(true);
  });
});

describe("ApplesmcFanActuator", () => {
  it("forces fans by target rpm between each fan's min and max, then hands them back", async () => {
    const root = fakeRoot();
    addHwmonChip(root, applesmc(0, [
      { label: "Left side", rpm: 1800, minRpm: 1200, maxRpm: 6200 },
      { label: "Right side", rpm: 2000, minRpm: 1000, maxRpm: 5000, manual: 1 },
    ]));
    const fans = createHwmonActuator(root.dir, { chip: "applesmc", channels: [1, 2] });
    expect(fans).toBeInstanceOf(ApplesmcFanActuator);

    await fans.takeControl();
    expect([root.read(`${SMC}/fan1_manual`), root.read(`${SMC}/fan2_manual`)]).toEqual(["1", "1"]);
    await fans.setPct(50);
    expect([root.read(`${SMC}/fan1_output`), root.read(`${SMC}/fan2_output`)]).toEqual(["3700", "3000"]);
    await fans.setPct(0);
    expect(root.read(`${SMC}/fan1_output`)).toBe("1200");

    await fans.restore();
    expect([root.read(`${SMC}/fan1_manual`), root.read(`${SMC}/fan2_manual`)]).toEqual(["0", "1"]);
  });
});

describe("createHwmonActuator", () => {
  it("names the chips that exist when the configured one is missing", () => {
    const root = serverWithNct();
    let err: unknown;
    try {
      createHwmonActuator(root.dir, { chip: "nct6775", channels: [1] });
    } catch (e) {
      err = e;
    }
    expect(isCoolfleetError(err, ErrorCode.HwmonChipMissing)).toBe(true);
    const message = (err as Error).message;
    expect(message).toContain(`no hwmon chip "nct6775" under ${root.dir}`);
    expect(message).toContain("coretemp at /sys/devices/platform/coretemp.0");
    expect(message).toContain("nct6798 at /sys/devices/platform/nct6775.656");
  });

  it("asks for a device when two chips share the name, and uses it to pick one", () => {
    const root = serverWithNct();
    addHwmonChip(root, { ...nct6798(5), device: "platform/nct6775.2592" });
    expect(() => createHwmonActuator(root.dir, { chip: "nct6798", channels: [1] })).toThrow(/2 hwmon chips "nct6798".*Set the actuator group's device/);
    const fans = createHwmonActuator(root.dir, { chip: "nct6798", device: "nct6775.2592", channels: [1] });
    expect(fans.name).toBe("hwmon:nct6798.2592");
  });

  it("says which controllable channels a chip has when a configured one is absent", () => {
    const root = serverWithNct();
    expect(() => createHwmonActuator(root.dir, { chip: "nct6798", channels: [1, 4] })).toThrow(
      /nct6798 at \/sys\/devices\/platform\/nct6775.656 cannot drive channels \[1, 4\].*pwm1, pwm2, pwm3/,
    );
  });

  it("reuses a discovery when given one", () => {
    const root = serverWithNct();
    const chips = new HwmonDiscovery(root.dir).discover();
    expect(createHwmonActuator(root.dir, { chip: "nct6798", channels: [2] }, chips).name).toBe("hwmon:nct6798");
  });
});
