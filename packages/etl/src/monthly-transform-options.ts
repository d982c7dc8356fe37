import type { Month } from '@bionicpro/models';
import type { MonthPeriod } from './period.js';
import type { InputOrder } from './row-source.js';

/** Options shared by the monthly transforms. */
export interface MonthlyTransformOptions {
  /** The month to compute (`YYYY-MM`, a `Month`, or a resolved {@link MonthPeriod}). */
  readonly month: string | Month | MonthPeriod;
  /** Order of the telemetry inputs; default `'any'`. See {@link InputOrder}. */
  readonly order?: InputOrder;
  /** Value of `last_updated` (default: now). */
  readonly lastUpdated?: Date;
}
