import { z } from 'zod';

// Postgres's timestamptz takes years from 1 (ISO 8601's 0000 is 1 BC) and UTC offsets within ±15:59.
const OFFSET = /([+-])(\d{2}):?(\d{2})$/;

/** Whether Postgres can store the time as written: a year from 0001 and an offset within ±15:59. */
export function isStorableTimestamp(value: string): boolean {
  if (value.startsWith('0000')) return false;
  const offset = OFFSET.exec(value);
  return offset === null || Number(offset[2]) <= 15;
}

/** An ISO 8601 date-time with an offset (or Z) that the database can compare with its own. */
export const isoTimestamp = () =>
  z.iso
    .datetime({ offset: true })
    // Something not a date-time at all is the datetime check's to report, once.
    .refine((value) => !z.iso.datetime({ offset: true }).safeParse(value).success || isStorableTimestamp(value), {
      message: 'must be a time from year 1 with a UTC offset within ±15:59',
    });
