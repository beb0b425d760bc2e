/* tz.h — time zones for live-blog stamps: IANA names, abbreviations and numeric offsets.
 *
 * Promise: UTC offsets at any instant, with daylight saving, read straight from the TZif files
 * under /usr/share/zoneinfo (the transitions, then the POSIX rule in the file's footer for
 * instants after them), without touching the process's TZ, localtime or mktime. Zone names are
 * checked before any file is opened: only [A-Za-z0-9_+-] components joined by "/", none
 * starting with "." — so "../../etc/passwd" is refused, not read. A struct tzset loads each
 * zone once and owns it; the zones it hands out live as long as the set.
 */
#ifndef BRAID_TZ_H
#define BRAID_TZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tz;    /* one loaded zone (opaque) */
struct tzset; /* a cache of loaded zones (opaque) */

/* Where zone files are read from; tests may point a set elsewhere with tzset_new_at. */
#define TZ_DEFAULT_DIR "/usr/share/zoneinfo"

enum zone_kind {
  ZONE_NONE,   /* nothing known: callers fall back to their default */
  ZONE_FIXED,  /* a fixed offset ("GMT", "EDT", "+01:00", "UTC+1") */
  ZONE_REGION, /* a region whose offset follows its rules ("ET", "Europe/London") */
};

/* A zone a stamp names. Regions point into the tzset that resolved them. */
struct zone_ref {
  enum zone_kind kind;
  int offset;              /* ZONE_FIXED: seconds east of UTC */
  const struct tz *region; /* ZONE_REGION */
};

/* A new empty set reading zones from dir (TZ_DEFAULT_DIR for tzset_new). NULL on -ENOMEM. */
struct tzset *tzset_new(void);
struct tzset *tzset_new_at(const char *dir);
void tzset_free(struct tzset *s);

/* The zone called name ("Europe/London"), loaded on first use and owned by the set.
 * 0, -EINVAL (not a safe zone name, or not a TZif file), -ENOENT (no such zone),
 * -E2BIG (file over BRAID_TZ_MAX_FILE_BYTES or the set over BRAID_TZ_MAX_ZONES), -ENOMEM. */
int tzset_get(struct tzset *s, const char *name, const struct tz **ret);
/* True when name has only the characters and shape a zone name may have. */
bool tz_name_is_safe(const char *name);

/* Offset (seconds east of UTC) in force in zone z at the instant utc. */
int tz_offset_at(const struct tz *z, int64_t utc);
/* The instant at which zone z's wall clock shows `local` (a wall-clock time counted like
 * UTC seconds). In a spring-forward gap the earlier offset applies; in a fall-back overlap,
 * the first (daylight) reading. */
int64_t tz_local_to_utc(const struct tz *z, int64_t local);
/* Whether z ever calls its time `abbr` (case-insensitive); if so *ret_offset is the offset
 * of that name nearest in time to `near`. Lets a feed in Asia/Jerusalem read "IST" as +02. */
bool tz_abbrev_offset(const struct tz *z, const char *abbr, int64_t near, int *ret_offset);

/* Resolves the zone text of a stamp or a --tz option: a numeric offset ("+0100", "+01:00",
 * "-5", "UTC+1", "GMT+5:30"), "Z", an abbreviation ("GMT", "BST", "ET", "EDT", "AEDT", "MSK",
 * ...), a phrase ("Kyiv time") or an IANA name. hint (may be NULL) is the feed's own zone: an
 * abbreviation it uses wins over the built-in table (IST in Jerusalem is not IST in Delhi).
 * near is an instant near the stamp, for that choice. 0 with *ret filled, -EINVAL if unknown
 * (ret->kind is then ZONE_NONE), or an error from tzset_get. */
int tz_resolve(struct tzset *s, const char *text, size_t len, const struct tz *hint,
               int64_t near, struct zone_ref *ret);

/* Whether name is a zone tz_resolve reads, the one rule for every place a person names a zone:
 * `braid split --tz` and a feed's `timezone` key accept exactly the same names ("ET",
 * "Europe/London", "+05:30", "UTC+1"). Loads at most one zone file, from TZ_DEFAULT_DIR. */
bool tz_name_known(const char *name);

/* Whether t (n bytes) is an abbreviation in braid's table, written in capitals ("GMT", "ET"). */
bool tz_is_abbrev(const char *t, size_t n);
/* Length of a zone spelled out in words at the start of t ("British Summer Time", "Eastern
 * Time", "heure de Paris"), or 0. tz_resolve reads what it returns. */
size_t tz_spelled_len(const char *t, size_t n);
/* Whether t (n bytes) names a place or word that "<t> time" makes a zone of ("Kyiv", "local"). */
bool tz_is_place(const char *t, size_t n);

/* The instant a wall-clock time in zone z shows; *z must not be ZONE_NONE. */
int64_t zone_local_to_utc(const struct zone_ref *z, int64_t local);
/* The zone's offset at about the instant utc. */
int zone_offset_at(const struct zone_ref *z, int64_t utc);

#endif
