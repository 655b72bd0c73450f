import { randomUUID } from "node:crypto";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { ACK_STATUSES, type Ack, type AckStatus, type Command } from "../../protocol/index.js";
import { forEachLimited } from "./dynamodb-batch.js";
import type { DynamoHosts } from "./dynamodb-hosts.js";
import { acksOfCommandPrefix, commandSk, DIRECTORY_PK, hostPk, pad, PREFIX, timeBetween, TIME_INDEX } from "./dynamodb-layout.js";
import { isConditionFailure, TIME_ALL, type DynamoTable } from "./dynamodb-table.js";
import type { AckMatch, CommandStats } from "./telemetry-store.js";

/** Directory of hosts that sent an ack for an unknown command: unknownAcks counts their orphan acks. */
const ACK_DIRECTORY_PK = "ACKHOSTS";

/**
 * Commands and acks in the DynamoDB store. A command item (C#<cmdId>, in the time index by send time) carries its
 * first ack's status and latency; every ack is an item of its own (A#<cmdId>#…), and an ack whose command is not
 * recorded (yet) is in the time index as an orphan until recordCommand adopts it. Also their retention.
 */
export class DynamoCommands {
  private readonly ackListedHosts = new Set<string>();

  constructor(
    private readonly table: DynamoTable,
    private readonly hosts: DynamoHosts,
  ) {}

  async recordCommand(cmd: Command, sentAtMs: number): Promise<void> {
    await this.hosts.ensureHosts([cmd.host]);
    try {
      await this.table.doc.send(
        new PutCommand({
          TableName: this.table.name,
          Item: {
            pk: hostPk(cmd.host),
            sk: commandSk(cmd.id),
            lk: `${PREFIX.commandTime}${pad(sentAtMs)}`,
            cmdId: cmd.id,
            seq: cmd.seq,
            issuedAtMs: cmd.issuedAt,
            expiresAtMs: cmd.expiresAt,
            setpoints: JSON.stringify(cmd.setpoints),
            sentAtMs,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return; // already recorded: the first send is the one latency counts from
      throw err;
    }
    await this.adoptOrphanAcks(cmd.host, cmd.id, sentAtMs);
  }

  async recordAck(ack: Ack, receivedAtMs: number): Promise<AckMatch> {
    const command = await this.table.getItem(hostPk(ack.host), commandSk(ack.cmdId));
    if (!command) await this.listAckHost(ack.host);
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: hostPk(ack.host),
          sk: `${acksOfCommandPrefix(ack.cmdId)}${pad(receivedAtMs)}#${randomUUID()}`,
          // Only an unmatched ack is in the time index: the index is how unknownAcks counts them.
          ...(command ? {} : { lk: `${PREFIX.orphanAckTime}${pad(receivedAtMs)}` }),
          boot: ack.boot,
          cmdId: ack.cmdId,
          seq: ack.seq,
          status: ack.status,
          reason: ack.reason,
          ts: ack.ts,
          receivedAtMs,
          applied: ack.applied === undefined ? undefined : JSON.stringify(ack.applied),
        },
      }),
    );
    if (!command) {
      // The command may have been recorded between the read above and this ack's write, and its recordCommand may
      // have looked for early acks before this one was there: look again, so the ack cannot stay unmatched.
      const now = await this.table.getItem(hostPk(ack.host), commandSk(ack.cmdId));
      if (now) await this.adoptOrphanAcks(ack.host, ack.cmdId, Number(now["sentAtMs"]));
      return { outcome: "unknown", latencyMs: undefined };
    }
    if (command["ackStatus"] !== undefined) return { outcome: "repeat", latencyMs: undefined };
    const sentAtMs = Number(command["sentAtMs"]);
    return (await this.setFirstAck(ack.host, ack.cmdId, ack.status, receivedAtMs, sentAtMs))
      ? { outcome: "first", latencyMs: receivedAtMs - sentAtMs }
      : { outcome: "repeat", latencyMs: undefined };
  }

  async commandStats(sinceMs: number): Promise<CommandStats> {
    const acked = Object.fromEntries(ACK_STATUSES.map((s) => [s, 0])) as Record<AckStatus, number>;
    const latencies: number[] = [];
    let sent = 0;
    const commandRange = timeBetween(PREFIX.commandTime, sinceMs, TIME_ALL);
    const orphanRange = timeBetween(PREFIX.orphanAckTime, sinceMs, TIME_ALL);
    await forEachLimited(await this.table.directory(DIRECTORY_PK), this.table.concurrency, async (host) => {
      if (!commandRange) return;
      for (const c of await this.table.queryTime(host, commandRange, { attributes: ["ackStatus", "ackLatencyMs"] })) {
        sent++;
        const status = c["ackStatus"];
        if (typeof status === "string" && status in acked) {
          acked[status as AckStatus]++;
          latencies.push(Number(c["ackLatencyMs"]));
        }
      }
    });
    let unknownAcks = 0;
    await forEachLimited(await this.table.directory(ACK_DIRECTORY_PK), this.table.concurrency, async (host) => {
      if (!orphanRange) return;
      const n = await this.table.countTime(host, orphanRange);
      unknownAcks += n;
    });
    latencies.sort((a, b) => a - b);
    // Nearest rank: the smallest latency with at least p of all latencies at or below it.
    const atPercentile = (p: number): number | undefined => (latencies.length === 0 ? undefined : latencies[Math.ceil(p * latencies.length) - 1]);
    return { sent, acked, unacked: sent - latencies.length, unknownAcks, p50LatencyMs: atPercentile(0.5), p99LatencyMs: atPercentile(0.99) };
  }

  async deleteCommandsBefore(ms: number): Promise<number> {
    const sent = timeBetween(PREFIX.commandTime, 0, ms);
    if (!sent) return 0;
    // Every ack key starts "A#", and every such key sorts below "A$".
    const acks = { low: PREFIX.ack, high: "A$" };
    let deleted = 0;
    // Hosts with an ack for an unknown command may have no host item: both directories are walked.
    const hosts = new Set([...(await this.table.directory(DIRECTORY_PK)), ...(await this.table.directory(ACK_DIRECTORY_PK))]);
    for (const host of hosts) {
      // Acks received before the cut, then the commands sent before it (their later acks stay: a matched ack is
      // matched at arrival, and the counts read the command items).
      deleted += await this.table.deletePages(host, acks, undefined, { expression: "#receivedAtMs < :cut", names: { "#receivedAtMs": "receivedAtMs" }, values: { ":cut": ms } });
      deleted += await this.table.deletePages(host, sent, TIME_INDEX);
    }
    return deleted;
  }

  private async listAckHost(hostId: string): Promise<void> {
    if (this.ackListedHosts.has(hostId)) return;
    await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: { pk: ACK_DIRECTORY_PK, sk: hostId } }));
    this.ackListedHosts.add(hostId);
  }

  /** Sets a command's first ack unless it has one; false when another ack got there first. */
  private async setFirstAck(hostId: string, cmdId: string, status: AckStatus, receivedAtMs: number, sentAtMs: number): Promise<boolean> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: hostPk(hostId), sk: commandSk(cmdId) },
          UpdateExpression: "SET #status = :status, #received = :received, #latency = :latency",
          ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#status)",
          ExpressionAttributeNames: { "#status": "ackStatus", "#received": "ackReceivedMs", "#latency": "ackLatencyMs" },
          ExpressionAttributeValues: { ":status": status, ":received": receivedAtMs, ":latency": receivedAtMs - sentAtMs },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** An ack that beat its command's record: the earliest becomes the first ack, and all leave the orphan index. */
  private async adoptOrphanAcks(hostId: string, cmdId: string, sentAtMs: number): Promise<void> {
    const prefix = acksOfCommandPrefix(cmdId);
    const orphans = (await this.table.queryBase(hostId, { low: prefix, high: `${prefix}~` })).filter((a) => a["lk"] !== undefined);
    const earliest = orphans[0];
    if (!earliest) return;
    await this.setFirstAck(hostId, cmdId, earliest["status"] as AckStatus, Number(earliest["receivedAtMs"]), sentAtMs);
    await forEachLimited(orphans, this.table.concurrency, async (a) => {
      await this.table.doc.send(
        new UpdateCommand({ TableName: this.table.name, Key: { pk: a["pk"], sk: a["sk"] }, UpdateExpression: "REMOVE #lk", ExpressionAttributeNames: { "#lk": "lk" } }),
      );
    });
  }
}
