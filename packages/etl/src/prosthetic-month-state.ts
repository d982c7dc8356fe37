import type { BatteryMetricRow, DeviceEventRow } from './kpi-inputs.js';

/**
 * The running state of one prosthesis while its device events and battery
 * samples stream past in event-time order (docs/kpis.md,
 * report_prosthetic_monthly_metrics). Constant memory: a few numbers, however
 * many rows the prosthesis has.
 *
 * Event-time order is `(timestamp, id)`; where a device event and a battery
 * sample share a timestamp, the device event comes first (a sample taken at the
 * instant of a power_on is inside the session it opens).
 *
 * The state may be fed rows from before and after the month: they only set
 * context (a session already open at the month's start, a critical event whose
 * downtime runs into the month, the charge-cycle hysteresis) and are not counted.
 */
export class ProstheticMonthState {
  powerOnCount = 0;
  powerOffCount = 0;
  warningCount = 0;
  errorCount = 0;
  criticalCount = 0;
  /** Milliseconds of active sessions inside the month. */
  activeMs = 0;
  /** Milliseconds of downtime inside the month, summed per critical event. */
  downtimeMs = 0;
  chargeCycles = 0;
  chargeSum = 0;
  chargeSamples = 0;
  activeDischargeSum = 0;
  activeDischargeSamples = 0;
  idleDischargeSum = 0;
  idleDischargeSamples = 0;
  /** Any device event or battery sample inside the month. */
  activeInMonth = false;

  private sessionOpen = false;
  private sessionStart = 0;
  private lastEventMs = Number.NEGATIVE_INFINITY;
  private lastPowerOnMs = Number.NEGATIVE_INFINITY;
  // Critical events still waiting for a power_on: their count and Σ (max(t, start) − start).
  private pendingCriticals = 0;
  private pendingCriticalOffsets = 0;
  // Discharging samples taken while a session was open after the latest device
  // event: inside the session only if another device event follows (docs/kpis.md:
  // an open session at the end of the data closes at the last event seen).
  private pendingSum = 0;
  private pendingSamples = 0;
  /** Hysteresis: the last decisive sample (< 50 % or > 95 %) was below 50 %. */
  private armed = false;

  constructor(
    private readonly startMs: number,
    private readonly endMs: number,
  ) {}

  device(event: DeviceEventRow): void {
    const t = event.event_timestamp.getTime();
    const inMonth = t >= this.startMs && t < this.endMs;
    if (inMonth) this.activeInMonth = true;
    this.lastEventMs = t;
    if (this.pendingSamples > 0) {
      // A later event exists, so the open session outlived those samples.
      this.activeDischargeSum += this.pendingSum;
      this.activeDischargeSamples += this.pendingSamples;
      this.pendingSum = 0;
      this.pendingSamples = 0;
    }
    const type = event.event_type;
    if (type === 'power_on') {
      if (inMonth) this.powerOnCount += 1;
      // docs/kpis.md: a power_on followed by another power_on closes the first session at the second.
      if (this.sessionOpen) this.closeSession(t);
      this.sessionOpen = true;
      this.sessionStart = t;
      this.lastPowerOnMs = t;
      this.closeDowntime(t);
    } else if (type === 'power_off') {
      if (inMonth) this.powerOffCount += 1;
      if (this.sessionOpen) {
        this.closeSession(t);
        this.sessionOpen = false;
      }
    }
    const severity = event.severity;
    if (severity === 'warning') {
      if (inMonth) this.warningCount += 1;
    } else if (severity === 'error') {
      if (inMonth) this.errorCount += 1;
    } else if (severity === 'critical') {
      if (inMonth) this.criticalCount += 1;
      // docs/kpis.md: downtime runs from the critical event to the next power_on. A
      // power_on at the same instant ends it at once (zero minutes); a critical
      // event at or after the month's end adds nothing to this month.
      if (t !== this.lastPowerOnMs && t < this.endMs) {
        this.pendingCriticals += 1;
        this.pendingCriticalOffsets += Math.max(t, this.startMs) - this.startMs;
      }
    }
  }

  battery(sample: BatteryMetricRow): void {
    const t = sample.metric_timestamp.getTime();
    const level = sample.charge_level;
    const inMonth = t >= this.startMs && t < this.endMs;
    // docs/kpis.md charge cycles: counted when the level, having been below 50 %,
    // next reaches above 95 %; after counting it must drop below 50 % again.
    // The hysteresis state carries over from samples before the month.
    if (level < 50) {
      this.armed = true;
    } else if (level > 95 && this.armed) {
      this.armed = false;
      if (inMonth) this.chargeCycles += 1;
    }
    if (!inMonth) return;
    this.activeInMonth = true;
    const current = sample.current_ma;
    if (sample.is_charging) {
      this.chargeSum += current;
      this.chargeSamples += 1;
    }
    if (current < 0) {
      if (this.sessionOpen) {
        this.pendingSum -= current;
        this.pendingSamples += 1;
      } else {
        this.idleDischargeSum -= current;
        this.idleDischargeSamples += 1;
      }
    }
  }

  /** Ends the stream: closes an open session at the last event seen and pending downtime at the month's end. */
  finish(): this {
    if (this.sessionOpen) {
      // docs/kpis.md: a session open at the end of the data closes at the month's
      // end or at the last event seen, whichever is earlier (clipping does the former).
      this.closeSession(this.lastEventMs);
      this.sessionOpen = false;
    }
    this.idleDischargeSum += this.pendingSum;
    this.idleDischargeSamples += this.pendingSamples;
    this.pendingSum = 0;
    this.pendingSamples = 0;
    // docs/kpis.md: no power_on after a critical event: downtime runs to the month's end.
    this.closeDowntime(this.endMs);
    return this;
  }

  /** docs/kpis.md: a session crossing a month boundary is split there; only the part inside this month counts. */
  private closeSession(end: number): void {
    const from = Math.max(this.sessionStart, this.startMs);
    const to = Math.min(end, this.endMs);
    if (to > from) this.activeMs += to - from;
  }

  private closeDowntime(at: number): void {
    if (this.pendingCriticals === 0) return;
    // Every pending critical event t satisfies t <= at and t < end, so each
    // contributes min(at, end) − max(t, start) when at > start, else nothing.
    if (at > this.startMs) {
      const to = Math.min(at, this.endMs);
      this.downtimeMs += this.pendingCriticals * (to - this.startMs) - this.pendingCriticalOffsets;
    }
    this.pendingCriticals = 0;
    this.pendingCriticalOffsets = 0;
  }
}
