import { ModelValidationError, parseIdText, Payment, validateRow } from '@bionicpro/models';
import { describe, expect, it } from 'vitest';
import { MAX_ERROR_ISSUES, reportErrorResponse } from './error-response.js';
import { ReportAssemblyError } from './errors.js';
import { monthPeriod } from './report-cache.js';
import { parseUserId } from './report-scope.js';

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('reportErrorResponse', () => {
  it.each(['2024-13', '2024-1', undefined])(
    'answers 400 naming month for month=%s (the README service answered 500)',
    async (month) => {
      const response = reportErrorResponse(thrown(() => monthPeriod(month as string)));
      expect(response?.status).toBe(400);
      expect(await response?.json()).toMatchObject({
        error: 'bad_request',
        code: 'invalid_report_parameter',
        parameter: 'month',
      });
    },
  );

  it.each(['1e0', '%201', '0x2', '01', '2147483648', '9007199254740991'])(
    'answers 400 naming user_id for the id %j instead of accepting it or failing with 500',
    async (id) => {
      const response = reportErrorResponse(thrown(() => parseUserId(id)));
      expect(response?.status).toBe(400);
      expect(await response?.json()).toMatchObject({
        parameter: 'user_id',
        code: 'invalid_report_parameter',
      });
    },
  );

  it('accepts the largest Int32 id', () => {
    expect(parseUserId('2147483647')).toBe(2_147_483_647);
  });

  it('answers a model error with 400 naming the field, NUL text included', async () => {
    const error = thrown(() => validateRow(Payment, { amount: '1.00', description: 'a\u0000' }));
    const body = (await reportErrorResponse(error)?.json()) as { field: string; issues: { code: string }[] };
    expect(body.field).toBeTypeOf('string');
    expect(body.issues.map((i) => i.code)).toContain('invalid_text');
    const invalidId = reportErrorResponse(thrown(() => parseIdText('0x2', { name: 'prosthetic_id' })));
    expect(invalidId?.status).toBe(400);
    expect(await invalidId?.json()).toMatchObject({ code: 'invalid_id', field: 'prosthetic_id' });
  });

  it('lists at most MAX_ERROR_ISSUES issues and the total count', async () => {
    const issues = Array.from({ length: 70_000 }, (_, i) => ({
      path: [i],
      code: 'invalid_type',
      message: 'x',
    }));
    const response = reportErrorResponse(new ModelValidationError(issues));
    const body = (await response?.json()) as { issues: unknown[]; issue_count: number };
    expect(body.issues).toHaveLength(MAX_ERROR_ISSUES);
    expect(body.issue_count).toBe(70_000);
  });

  it('answers a defect with 500 and no detail', async () => {
    const response = reportErrorResponse(new ReportAssemblyError('r', [{ path: 'x', message: 'secret' }]));
    expect(response?.status).toBe(500);
    expect(await response?.text()).not.toContain('secret');
  });
});
