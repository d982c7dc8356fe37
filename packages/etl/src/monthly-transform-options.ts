import type { Month, MonthPeriod } from '@bionicpro/models';
import type { InputOrder } from './row-source.js';

/** Options shared by the monthly transforms. */
export interface MonthlyTransformOptions {
  /** The month to compute (`YYYY-MM`, a `Month`, or a resolved {@link MonthPeriod}). */
  readonly month: string | Month | MonthPeriod;
  /** Order of the telemetry inputs; default `'any'`. See {@link InputOrder}. */
  readonly order?: InputOrder;
  /**
   * Value of `last_updated`: the run's clock, read once at the edge (`runMonthlyJob`, the CLI)
   * and passed in, so the transform itself never reads the clock.
   */
  readonly lastUpdated: Date;
}
