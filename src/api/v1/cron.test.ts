import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cronFieldCount, nextActivations, parseCronSchedule } from './cron.ts';

const utc = (iso: string): Date => new Date(iso.endsWith('Z') ? iso : `${iso}Z`);

describe('parseCronSchedule: accepted specs', () => {
  const accepted = [
    '0 0 0 * * *', // upstream's sample schedule
    '1 2 3 4 5', // five fields: the day of week is optional
    '0 0 0 * * ?',
    '? ? ? ? ? ?',
    '0 */15 * * * MON-FRI',
    '0 0 12 1,15 jan-JUN sun',
    '0 0 12 * Dec Sat',
    '5/10 0-30/7 1-23/2 1-31 1-12 0-6',
    '  0 0 0 * * *  ',
    '0\t0\n0 * * *',
    '0 0 0 1,,2 * *', // empty list items are skipped
    '0 0 0 * * *-5', // what follows a star is ignored
    '+5 0 0 * * *', // Go's Atoi takes a sign
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    '@every 1h30m',
    '@every 90s',
    '@every 500ms',
    '@every -5s',
    '@every 0',
    '@every 1.5h',
    '@every .5m',
  ];
  for (const spec of accepted) {
    it(JSON.stringify(spec), () => {
      assert.doesNotThrow(() => parseCronSchedule(spec));
    });
  }
});

describe('parseCronSchedule: rejected specs carry robfig/cron v1.2.0 messages', () => {
  const rejected: [string, string][] = [
    ['', 'Empty spec string'],
    ['   ', 'Expected 5 to 6 fields, found 0:    '],
    ['* * * *', 'Expected 5 to 6 fields, found 4: * * * *'],
    ['0 0 0 * * * 1996', 'Expected 5 to 6 fields, found 7: 0 0 0 * * * 1996'],
    // No time zone prefix in the version upstream uses.
    ['TZ=UTC 0 0 0 * * *', 'Expected 5 to 6 fields, found 7: TZ=UTC 0 0 0 * * *'],
    [
      'CRON_TZ=UTC 0 0 * * *',
      'Failed to parse int from CRON_TZ=UTC: strconv.Atoi: parsing "CRON_TZ=UTC": invalid syntax',
    ],
    ['x * * * * *', 'Failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['-1 * * * * *', 'Failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    ['0 0 0 * * mon-', 'Failed to parse int from : strconv.Atoi: parsing "": invalid syntax'],
    ['0 0 0 * foo *', 'Failed to parse int from foo: strconv.Atoi: parsing "foo": invalid syntax'],
    ['0 0 0 * * jan', 'Failed to parse int from jan: strconv.Atoi: parsing "jan": invalid syntax'],
    ['*/jan * * * * *', 'Failed to parse int from jan: strconv.Atoi: parsing "jan": invalid syntax'],
    [
      '99999999999999999999 * * * * *',
      'Failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": ' +
        'value out of range',
    ],
    ['0 10-5 * * * *', 'Beginning of range (10) beyond end of range (5): 10-5'],
    ['0-60 * * * * *', 'End of range (60) above maximum (59): 0-60'],
    ['0 0 24 * * *', 'End of range (24) above maximum (23): 24'],
    ['0 0 0 0 * *', 'Beginning of range (0) below minimum (1): 0'],
    ['0 0 0 32 * *', 'End of range (32) above maximum (31): 32'],
    ['0 0 0 * 0 *', 'Beginning of range (0) below minimum (1): 0'],
    ['0 0 0 * 13 *', 'End of range (13) above maximum (12): 13'],
    ['0 0 0 * * 7', 'End of range (7) above maximum (6): 7'],
    ['0 0 0 * DEC-JAN *', 'Beginning of range (12) beyond end of range (1): DEC-JAN'],
    ['1-2-3 * * * * *', 'Too many hyphens: 1-2-3'],
    ['*/2/3 * * * * *', 'Too many slashes: */2/3'],
    ['*/0 * * * * *', 'Step of range should be a positive number: */0'],
    ['*/-1 * * * * *', 'Negative number (-1) not allowed: -1'],
    ['@foo', 'Unrecognized descriptor: @foo'],
    ['@Daily', 'Unrecognized descriptor: @Daily'],
    ['@daily ', 'Unrecognized descriptor: @daily '],
    ['@every', 'Unrecognized descriptor: @every'],
    ['@every ', 'Failed to parse duration @every : time: invalid duration ""'],
    ['@every x', 'Failed to parse duration @every x: time: invalid duration "x"'],
    ['@every 10', 'Failed to parse duration @every 10: time: missing unit in duration "10"'],
    ['@every 1h30', 'Failed to parse duration @every 1h30: time: missing unit in duration "1h30"'],
    ['@every 1d', 'Failed to parse duration @every 1d: time: unknown unit "d" in duration "1d"'],
    [
      '@every 1µx',
      'Failed to parse duration @every 1µx: time: unknown unit "\\xc2\\xb5x" in duration ' + '"1\\xc2\\xb5x"',
    ],
    ['@every .h', 'Failed to parse duration @every .h: time: invalid duration ".h"'],
    ['@every 9999999999h', 'Failed to parse duration @every 9999999999h: time: invalid duration "9999999999h"'],
  ];
  for (const [spec, message] of rejected) {
    it(JSON.stringify(spec), () => {
      assert.throws(() => parseCronSchedule(spec), { message });
    });
  }
});

describe('next activation (UTC)', () => {
  const cases: [after: string, spec: string, expected: string | null][] = [
    // Upstream's sample: every midnight.
    ['2024-05-10T13:14:15', '0 0 0 * * *', '2024-05-11T00:00:00'],
    ['2024-05-10T00:00:00', '0 0 0 * * *', '2024-05-11T00:00:00'], // strictly after
    ['2024-05-09T23:59:59.999', '0 0 0 * * *', '2024-05-10T00:00:00'],
    // Five fields: seconds minutes hours day month.
    ['2012-07-09T14:45:00', '0 0/15 * * *', '2012-07-09T15:00:00'],
    ['2012-07-09T14:59:00', '0 0/15 * * *', '2012-07-09T15:00:00'],
    ['2012-07-09T14:59:59', '0 0/15 * * *', '2012-07-09T15:00:00'],
    ['2012-07-09T15:45:00', '0 20-35/15 * * *', '2012-07-09T16:20:00'],
    ['2012-07-09T23:46:00', '0 */15 * * *', '2012-07-10T00:00:00'],
    ['2012-07-09T23:45:00', '0 20-35/15 * * *', '2012-07-10T00:20:00'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 * * *', '2012-07-10T00:20:15'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 1/2 * *', '2012-07-10T01:20:15'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 10-12 * *', '2012-07-10T10:20:15'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 1/2 */2 * *', '2012-07-11T01:20:15'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 * 9-20 * *', '2012-07-10T00:20:15'],
    ['2012-07-09T23:35:51', '15/35 20-35/15 * 9-20 Jul *', '2012-07-10T00:20:15'],
    // Month and year wrap-around.
    ['2012-07-09T23:35:00', '0 0 0 9 Apr-Oct ?', '2012-08-09T00:00:00'],
    ['2012-07-09T23:35:00', '0 0 0 */5 Apr,Aug,Oct Mon', '2012-08-06T00:00:00'],
    ['2012-07-09T23:35:00', '0 0 0 */5 Oct Mon', '2012-10-01T00:00:00'],
    ['2012-07-09T23:35:00', '0 0 0 * Feb Mon', '2013-02-04T00:00:00'],
    ['2012-07-09T23:35:00', '0 0 0 * Feb Mon/2', '2013-02-01T00:00:00'],
    ['2012-12-31T23:59:45', '0 * * * * *', '2013-01-01T00:00:00'],
    ['2024-01-31T12:00:00', '0 0 12 31 * *', '2024-03-31T12:00:00'],
    // Leap years, and the five-year search limit.
    ['2012-07-09T23:35:00', '0 0 0 29 Feb ?', '2016-02-29T00:00:00'],
    ['2023-03-01T00:00:00', '0 0 0 29 2 *', '2024-02-29T00:00:00'],
    ['2096-03-01T00:00:00', '0 0 0 29 2 *', null], // 2100 is no leap year, 2104 is too far
    ['2012-07-09T23:35:00', '0 0 0 30 Feb ?', null],
    ['2012-07-09T23:35:00', '0 0 0 31 Apr ?', null],
    ['2012-07-09T23:35:00', '0 0 0 , * *', null],
    ['2012-07-09T23:35:00', ', 0 0 * * *', null],
    // Day of month and day of week: either, unless one of them is a star.
    ['2012-07-14T00:00:00', '0 0 0 1,15 * Sun', '2012-07-15T00:00:00'],
    ['2012-06-14T00:00:00', '0 0 0 1,15 * Sun', '2012-06-15T00:00:00'],
    ['2012-07-31T00:00:00', '0 0 0 1,15 * Sun', '2012-08-01T00:00:00'],
    ['2012-07-14T00:00:00', '0 0 0 * * Mon', '2012-07-16T00:00:00'],
    ['2012-07-14T00:00:00', '0 0 0 */10 * Sun', '2012-10-21T00:00:00'],
    ['2012-07-14T00:00:00', '0 0 0 1,15 * *', '2012-07-15T00:00:00'],
    ['2012-07-14T00:00:00', '0 0 0 */2 * Sun', '2012-07-15T00:00:00'],
    ['2012-07-14T00:00:00', '0 0 0 ? * 0', '2012-07-15T00:00:00'],
    ['2012-07-16T00:00:00', '0 0 0 * * SAT,sun', '2012-07-21T00:00:00'],
    // Descriptors.
    ['2012-07-09T15:00:00', '@hourly', '2012-07-09T16:00:00'],
    ['2012-07-09T15:04:00', '@hourly', '2012-07-09T16:00:00'],
    ['2012-07-09T15:00:00', '@daily', '2012-07-10T00:00:00'],
    ['2012-07-09T15:00:00', '@midnight', '2012-07-10T00:00:00'],
    ['2012-07-09T00:00:00', '@weekly', '2012-07-15T00:00:00'],
    ['2012-07-09T00:00:00', '@monthly', '2012-08-01T00:00:00'],
    ['2012-07-09T00:00:00', '@yearly', '2013-01-01T00:00:00'],
    ['2012-07-09T00:00:00', '@annually', '2013-01-01T00:00:00'],
    // @every: after + delay, on a whole second, the delay truncated to seconds and at least 1s.
    ['2012-07-09T14:45:00.500', '@every 1h30m', '2012-07-09T16:15:00'],
    ['2012-07-09T14:45:00', '@every 90s', '2012-07-09T14:46:30'],
    ['2012-07-09T14:45:00.999', '@every 500ms', '2012-07-09T14:45:01'],
    ['2012-07-09T14:45:00', '@every 1.9s', '2012-07-09T14:45:01'],
    ['2012-07-09T14:45:00', '@every -5s', '2012-07-09T14:45:01'],
    ['2012-07-09T14:45:00', '@every 0', '2012-07-09T14:45:01'],
    ['2012-07-09T14:45:00', '@every 1.5h', '2012-07-09T16:15:00'],
    ['2012-07-09T14:45:00', '@every 1h0.5m1000ms', '2012-07-09T15:45:31'],
  ];
  for (const [after, spec, expected] of cases) {
    it(`${spec} after ${after}`, () => {
      const next = parseCronSchedule(spec).next(utc(after));
      const want = expected === null ? null : utc(expected).toISOString();
      assert.equal(next === null ? null : next.toISOString(), want);
    });
  }
});

describe('nextActivations', () => {
  it('lists consecutive activations across a leap day', () => {
    const got = nextActivations('0 0 0 * * *', utc('2024-02-27T12:00:00'), 3).map((d) => d.toISOString());
    assert.deepEqual(got, ['2024-02-28T00:00:00.000Z', '2024-02-29T00:00:00.000Z', '2024-03-01T00:00:00.000Z']);
  });
  it('stops when the schedule runs dry', () => {
    assert.deepEqual(nextActivations('0 0 0 30 2 *', utc('2024-01-01T00:00:00'), 3), []);
  });
  it('handles @every', () => {
    const got = nextActivations('@every 90s', utc('2024-01-01T00:00:00'), 2).map((d) => d.toISOString());
    assert.deepEqual(got, ['2024-01-01T00:01:30.000Z', '2024-01-01T00:03:00.000Z']);
  });
  it('throws the parse error', () => {
    assert.throws(() => nextActivations('@foo', new Date(), 1), { message: 'Unrecognized descriptor: @foo' });
  });
});

describe('cronFieldCount (upstream warns unless 6)', () => {
  const cases: [string, number][] = [
    ['0 0 0 * * *', 6],
    ['1 2 3 4 5', 5],
    ['@daily', 1],
    ['@every 1h', 2],
    ['\t0  0 0 * *\u00a0* ', 6],
    ['', 0],
  ];
  for (const [spec, count] of cases) {
    it(JSON.stringify(spec), () => assert.equal(cronFieldCount(spec), count));
  }
});

describe('next activation agrees with a second-by-second search', () => {
  const specs = [
    '*/7 */13 */5 * * *',
    '30 59 23 * * *',
    '0 0 */6 1,15,31 * MON',
    '15-45/10 5,25 0-3 ? * 0,6',
    '0 30 1 28-31 * *',
    '59 59 23 29 * *',
  ];
  const starts = ['2023-12-31T22:10:03.250', '2024-02-01T23:58:59', '2024-02-28T23:58:59'];
  const matches = (spec: string, t: Date): boolean => {
    const prev = new Date(t.getTime() - 1000);
    return parseCronSchedule(spec).next(prev)?.getTime() === t.getTime();
  };
  for (const spec of specs) {
    for (const start of starts) {
      it(`${spec} after ${start}`, () => {
        const schedule = parseCronSchedule(spec);
        const got = schedule.next(utc(start));
        // Step by seconds from the next whole second and test each candidate independently.
        let t = Math.floor(utc(start).getTime() / 1000) * 1000 + 1000;
        const limit = t + 40 * 86_400_000;
        while (t < limit && !matchesByFields(spec, new Date(t))) t += 1000;
        assert.equal(got?.toISOString(), new Date(t).toISOString());
        assert.ok(matches(spec, new Date(t)));
      });
    }
  }
});

// An independent reading of a six-field spec (no names, no descriptors), to check `next` against.
function matchesByFields(spec: string, t: Date): boolean {
  const names: Record<string, number> = { mon: 1, sat: 6, sun: 0 };
  const parts = spec.split(' ');
  const values = [
    t.getUTCSeconds(),
    t.getUTCMinutes(),
    t.getUTCHours(),
    t.getUTCDate(),
    t.getUTCMonth() + 1,
    t.getUTCDay(),
  ];
  const maxes = [59, 59, 23, 31, 12, 6];
  const mins = [0, 0, 0, 1, 1, 0];
  const fieldMatch = (i: number): boolean =>
    (parts[i] ?? '').split(',').some((item) => {
      const [range = '', stepText] = item.split('/');
      const num = (s: string): number => names[s.toLowerCase()] ?? Number(s);
      const [lo, hi] =
        range === '*' || range === '?'
          ? [mins[i] ?? 0, maxes[i] ?? 0]
          : range.includes('-')
            ? (range.split('-').map(num) as [number, number])
            : [num(range), stepText === undefined ? num(range) : (maxes[i] ?? 0)];
      const step = stepText === undefined ? 1 : Number(stepText);
      const v = values[i] ?? -1;
      return v >= lo && v <= hi && (v - lo) % step === 0;
    });
  const star = (i: number): boolean => /^[*?]/.test(parts[i] ?? '');
  const dayOk = star(3) || star(5) ? fieldMatch(3) && fieldMatch(5) : fieldMatch(3) || fieldMatch(5);
  return fieldMatch(0) && fieldMatch(1) && fieldMatch(2) && fieldMatch(4) && dayOk;
}
