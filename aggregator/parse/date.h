/* date.h — the dates feeds actually carry, read as UTC seconds.
 *
 * Promise: RFC 822/1123 ("Tue, 08 Nov 2011 21:30:00 GMT"), RFC 3339 / ISO 8601, and the broken
 * real-world forms around them (missing seconds or zone, named zones, numeric zones with or
 * without a colon, two-digit years, full or lower-case day and month names, missing or wrong
 * weekday, extra spaces) are read without touching TZ, the locale or any global state.
 * A date without a zone is taken as UTC. An impossible date (31 Feb, hour 25, year 99999)
 * is refused, never normalised into another day.
 */
#ifndef BRAID_DATE_H
#define BRAID_DATE_H

#include <stddef.h>
#include <stdint.h>

/* 0 and *ret_utc set; -EINVAL when s is not a date; -ERANGE when it names an impossible one.
 * On failure, if err is not NULL, a message naming the bad field ("day 31 out of range for
 * February 2012") is written into err (err_size bytes). */
int date_parse(const char *s, int64_t *ret_utc, char *err, size_t err_size);

#endif
