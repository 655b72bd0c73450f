import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, waitFor, type CliProcess } from "../helpers/cli.js";
import { freePort } from "../helpers/mosquitto.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
// Chromium's own background traffic is refused on a closed network; these keep it quiet and fast.
const CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SCREENSHOT_DIR = join(process.cwd(), "test-results");

let demo: CliProcess;
let dashboardUrl: string;
let browser: Browser;

beforeAll(async () => {
  const [httpPort, mqttPort] = [await freePort(), await freePort()];
  demo = runCli(["demo", "--port", String(httpPort), "--mqtt-port", String(mqttPort), "--speed", "3"]);
  await waitFor("the demo's dashboard URL", () => /dashboard\s+(http:\/\/\S+)/.test(demo.output()), 30_000);
  dashboardUrl = /dashboard\s+(http:\/\/\S+)/.exec(demo.output())![1]!;
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.child.exitCode === null) {
    demo.child.kill("SIGINT");
    await demo.exited;
  }
});

describe("dashboard in headless Chromium against the running demo", () => {
  it("shows every demo host, updates live, and renders a host's charts", async () => {
    const page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
    const errors: string[] = [];
    page.on("pageerror", (err) => errors.push(err.message));
    await page.goto(dashboardUrl);

    const rows = page.locator("[data-testid=host-row]");
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(8);
    const hostIds = await Promise.all((await rows.all()).map((row) => row.getAttribute("data-host-id")));
    expect(hostIds.sort()).toEqual(["sim-000", "sim-001", "sim-002", "sim-003", "sim-004", "sim-005", "sim-006", "sim-007"]);

    // Live: the hottest-sensor readings change within a few seconds without reloading.
    const readHottest = () => rows.locator("[data-testid=host-hottest]").allInnerTexts();
    const before = await readHottest();
    await expect.poll(async () => (await readHottest()).join("|") !== before.join("|"), { timeout: 10_000 }).toBe(true);
    // The simulated agents announce their fans' watts, so the header estimates the fleet's cooling power.
    await expect.poll(() => page.locator("[data-testid=summary-cooling] .metric-value").innerText(), { timeout: 10_000 }).toMatch(/^\d[\d,.]* k?W$/);
    expect(await page.locator("[data-testid=summary-cooling]").getAttribute("title")).toMatch(/announce/);
    // The simulated fleet over the embedded broker loses nothing: no gap in any host's telemetry sequence.
    expect(await page.locator("[data-testid=summary-telemetry]").getAttribute("title")).toMatch(/^0 rejected, 0 missing /);
    // Every demo host is planned by the demo's policy (b2), and the table says so.
    await expect.poll(async () => [...new Set(await rows.locator("[data-testid=host-plan]").allInnerTexts())], { timeout: 10_000 }).toEqual(["b2"]);
    const lastUpdate = await page.locator("[data-testid=live-indicator]").getAttribute("data-last-update-ms");
    expect(Date.now() - Number(lastUpdate)).toBeLessThan(5000);
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: join(SCREENSHOT_DIR, "dashboard-fleet.png") });

    await rows.first().click();
    for (const chart of ["chart-temperature", "chart-fan", "chart-load", "chart-disk", "chart-energy"]) {
      await expect.poll(() => page.locator(`[data-testid=${chart}] canvas`).count(), { timeout: 10_000 }).toBeGreaterThan(0);
    }
    await expect.poll(() => page.locator("[data-testid=state-timeline]").isVisible(), { timeout: 10_000 }).toBe(true);
    await page.screenshot({ path: join(SCREENSHOT_DIR, "dashboard-host.png"), fullPage: true });
    expect(errors).toEqual([]);
    await page.close();
  });

  it("stops cleanly on Ctrl-C with a summary", async () => {
    demo.child.kill("SIGINT");
    const exit = await demo.exited;
    expect(exit.code).toBe(0);
    expect(demo.output()).toMatch(/demo summary: hosts=8 telemetryStored=\d+ commandsAcked=\d+ stateTransitions=\d+ rejected=0 missing=0\n/);
  });
});
