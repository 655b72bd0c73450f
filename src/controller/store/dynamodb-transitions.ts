import { randomUUID } from "node:crypto";
import { PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { DynamoHosts } from "./dynamodb-hosts.js";
import { toTransition } from "./dynamodb-items.js";
import { DIRECTORY_PK, HOST_SK, hostPk, pad, PREFIX, timeBetween } from "./dynamodb-layout.js";
import type { DynamoTable } from "./dynamodb-table.js";
import type { HostTransition } from "./telemetry-store.js";

/**
 * State-machine transitions in the DynamoDB store: the history as items of their own (X#<atMs>#<tiebreak>) and the
 * current state on the host item; the history is read by time and deleted by retention.
 */
export class DynamoTransitions {
  /** Orders transitions of one host with the same atMs in the order they were recorded. */
  private transitionCounter = 0;

  constructor(
    private readonly table: DynamoTable,
    private readonly hosts: DynamoHosts,
  ) {}

  async recordTransition(transition: HostTransition): Promise<void> {
    await this.hosts.ensureHosts([transition.hostId]);
    // DynamoDB transactions would make these two writes atomic at twice the write cost; the history is written
    // first, so a failure in between leaves the state one transition behind, and the retry writes both.
    const tiebreak = `${pad(++this.transitionCounter)}#${randomUUID().slice(0, 8)}`;
    await this.table.doc.send(
      new PutCommand({
        TableName: this.table.name,
        Item: {
          pk: hostPk(transition.hostId),
          sk: `${PREFIX.transition}${pad(transition.atMs)}#${tiebreak}`,
          from: transition.from ?? undefined,
          to: transition.to,
          cause: transition.cause,
          atMs: transition.atMs,
        },
      }),
    );
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: hostPk(transition.hostId), sk: HOST_SK },
        UpdateExpression: "SET #state = :to, #hostId = :host",
        ExpressionAttributeNames: { "#state": "state", "#hostId": "hostId" },
        ExpressionAttributeValues: { ":to": transition.to, ":host": transition.hostId },
      }),
    );
  }

  async transitions(hostId: string, fromMs: number, toMs: number): Promise<HostTransition[]> {
    const range = timeBetween(PREFIX.transition, fromMs, toMs);
    if (!range) return [];
    return (await this.table.queryBase(hostId, range)).map(toTransition);
  }

  async deleteTransitionsBefore(ms: number): Promise<number> {
    const range = timeBetween(PREFIX.transition, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.table.directory(DIRECTORY_PK)) deleted += await this.table.deletePages(host, range, undefined);
    return deleted;
  }
}
