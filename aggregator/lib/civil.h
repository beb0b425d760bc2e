/* civil.h — calendar arithmetic in UTC, independent of the process's TZ and locale.
 *
 * Promise: conversions between civil dates and seconds since the epoch that never touch
 * global state (no setenv("TZ"), no mktime), reject impossible dates (31 Feb, hour 25,
 * years outside BRAID_YEAR_MIN..BRAID_YEAR_MAX) with -ERANGE instead of normalising them,
 * and format every instant braid emits the one way the contracts demand:
 * YYYY-MM-DDTHH:MM:SSZ.
 */
#ifndef BRAID_CIVIL_H
#define BRAID_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

/* Bytes needed for civil_format_utc's output, NUL included. */
#define CIVIL_UTC_LEN 21

/* Days in the month (1..12) of year; 0 for a month out of range. */
int civil_days_in_month(int year, int month);
/* Days since 1970-01-01 of a proleptic Gregorian date; no range check. */
int64_t civil_days_from_ymd(int year, int month, int day);
void civil_ymd_from_days(int64_t days, int *ret_year, int *ret_month, int *ret_day);
/* 0 = Sunday .. 6 = Saturday. */
int civil_weekday(int64_t days);

/* The instant of a wall-clock time at a fixed UTC offset (seconds east of Greenwich).
 * A second of 60 (leap second) is accepted and folded into the next minute.
 * 0, or -ERANGE for a field or year out of range. */
int civil_to_utc(int year, int month, int day, int hour, int minute, int second,
                 int offset_seconds, int64_t *ret_utc);

/* Writes "YYYY-MM-DDTHH:MM:SSZ" into out (CIVIL_UTC_LEN bytes). */
void civil_format_utc(int64_t utc, char out[CIVIL_UTC_LEN]);

/* RFC 3339 and the ISO 8601 forms feeds use: "2011-11-08T21:30:00Z", "...+01:00",
 * "...+0100", fractions of a second, a space for the T, minutes without seconds,
 * and a bare date (midnight UTC). A time without a zone is taken as UTC and
 * *ret_had_zone (if not NULL) says so. Leading and trailing white space is allowed.
 * 0, -EINVAL if the text is not such a date, -ERANGE if it names an impossible one. */
int civil_parse_iso8601(const char *s, int64_t *ret_utc, bool *ret_had_zone);
/* The same, also giving the offset written (seconds east of UTC; 0 for "Z" or none). */
int civil_parse_iso8601_zone(const char *s, int64_t *ret_utc, bool *ret_had_zone,
                             int *ret_offset);

#endif
