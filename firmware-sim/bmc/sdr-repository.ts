import { CompletionCode, fail, ok, type CommandResult } from "./completion-codes.js";
import { SDR_VERSION } from "./sdr-records.js";

/** "Read the whole record" in Get SDR's byte count. */
const READ_ENTIRE_RECORD = 0xff;
const LAST_RECORD_ID = 0xffff;

/**
 * The BMC's SDR repository (IPMI v2.0 section 33): records by id, reservations, and partial reads with an
 * optional per-read limit so a test can force the offset/length dance real BMCs make ipmitool do. A record can be
 * replaced (what a firmware update does to a sensor's name): the most recent addition timestamp moves with it, as
 * Get SDR Repository Info reports to anyone caching the repository.
 */
export class SdrRepository {
  private readonly records: Buffer[];
  private reservationId = 0;
  /** Most recent addition, seconds (an IPMI timestamp); 0 until a record is replaced. */
  private additionS = 0;

  constructor(
    records: readonly Buffer[],
    /** Largest number of record bytes one Get SDR may return (0xCA above it). */
    private readonly maxReadBytes = 0xfe,
  ) {
    this.records = [...records];
  }

  get count(): number {
    return this.records.length;
  }

  /** Get SDR Repository Info (33.9). */
  info(): CommandResult {
    const rsp = Buffer.alloc(14);
    rsp.writeUInt8(SDR_VERSION, 0);
    rsp.writeUInt16LE(this.records.length, 1);
    rsp.writeUInt16LE(0x0000, 3); // no free space: the repository is read-only
    rsp.writeUInt32LE(this.additionS, 5); // most recent addition
    rsp.writeUInt32LE(0, 9); // most recent erase: records are replaced, never erased
    rsp.writeUInt8(0x02, 13); // Reserve SDR Repository supported; no modal update, delete or partial add
    return ok(rsp);
  }

  /**
   * Replaces record `recordId` (1-based) and stamps the change at `nowS`; the stamp always moves forward, so two
   * changes within one second (or on a clock standing at 0) still read as a change. A new reservation is needed
   * after it, as after any change to the repository.
   */
  replace(recordId: number, record: Buffer, nowS: number): void {
    if (!(recordId >= 1 && recordId <= this.records.length)) throw new RangeError(`SDR record ${recordId} does not exist (1–${this.records.length})`);
    this.records[recordId - 1] = record;
    this.additionS = Math.max(this.additionS + 1, Math.floor(nowS)) >>> 0;
    this.reservationId = (this.reservationId % 0xffff) + 1;
  }

  /** Reserve SDR Repository (33.11): a new reservation cancels the previous one. */
  reserve(): CommandResult {
    this.reservationId = (this.reservationId % 0xffff) + 1;
    const rsp = Buffer.alloc(2);
    rsp.writeUInt16LE(this.reservationId, 0);
    return ok(rsp);
  }

  /** Get SDR (33.12): reservation, record id (0 = first), offset, byte count. */
  get(data: Buffer): CommandResult {
    if (data.length !== 6) return fail(CompletionCode.RequestDataLengthInvalid);
    const reservation = data.readUInt16LE(0);
    const requestedId = data.readUInt16LE(2);
    const offset = data.readUInt8(4);
    const count = data.readUInt8(5);
    // The reservation only counts for reads at a non-zero offset (section 33.12); there it must be the current one.
    if (offset > 0 && reservation !== this.reservationId) return fail(CompletionCode.ReservationCancelled);
    const index = requestedId === 0 ? 0 : requestedId - 1;
    const record = this.records[index];
    if (!record || requestedId === LAST_RECORD_ID) return fail(CompletionCode.NotPresent);
    if (offset > record.length) return fail(CompletionCode.ParameterOutOfRange);
    const wanted = count === READ_ENTIRE_RECORD ? record.length - offset : count;
    if (wanted > this.maxReadBytes) return fail(CompletionCode.CannotReturnRequestedBytes);
    const rsp = Buffer.alloc(2);
    rsp.writeUInt16LE(index + 1 < this.records.length ? index + 2 : LAST_RECORD_ID, 0);
    return ok(Buffer.concat([rsp, record.subarray(offset, Math.min(record.length, offset + wanted))]));
  }
}
