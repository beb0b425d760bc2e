/* tz.c — TZif reader, POSIX TZ footer rules, and the abbreviation table. See tz.h. */
#include "tz.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bounds.h"
#include "civil.h"

/* One rule of a POSIX TZ string: month m, week w (5 = last), weekday d, at `secs` local. */
struct posix_date {
  int month, week, wday;
  int secs;
};

struct posix_rule {
  bool valid;
  int std_off, dst_off; /* seconds east of UTC */
  bool has_dst;
  struct posix_date start, end;
};

struct tz_type {
  int utoff;
  bool isdst;
  char abbr[16];
};

struct tz {
  char name[BRAID_TZ_NAME_MAX_BYTES + 1];
  int64_t *times;   /* transition instants, ascending */
  uint8_t *idx;     /* type after each transition */
  size_t ntimes;
  struct tz_type *types;
  size_t ntypes;
  struct posix_rule rule; /* after the last transition */
};

struct tzset {
  char dir[256];
  struct tz *zones[BRAID_TZ_MAX_ZONES];
  size_t n;
  /* Names that failed, so a body naming "Foo/Bar" 20,000 times opens no file twice; once
   * BRAID_TZ_MAX_ZONES names have failed, no more files are tried at all. */
  char failed[BRAID_TZ_MAX_ZONES][BRAID_TZ_NAME_MAX_BYTES + 1];
  int failed_err[BRAID_TZ_MAX_ZONES];
  size_t nfailed;
};

static void tz_free(struct tz *z) {
  if (!z)
    return;
  free(z->times);
  free(z->idx);
  free(z->types);
  free(z);
}

struct tzset *tzset_new_at(const char *dir) {
  struct tzset *s = calloc(1, sizeof *s);
  if (!s)
    return NULL;
  size_t n = strlen(dir);
  if (n >= sizeof s->dir) {
    free(s);
    return NULL;
  }
  memcpy(s->dir, dir, n + 1);
  return s;
}

struct tzset *tzset_new(void) { return tzset_new_at(TZ_DEFAULT_DIR); }

void tzset_free(struct tzset *s) {
  if (!s)
    return;
  for (size_t i = 0; i < s->n; i++)
    tz_free(s->zones[i]);
  free(s);
}

bool tz_name_is_safe(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > BRAID_TZ_NAME_MAX_BYTES)
    return false;
  bool comp_start = true;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    if (c == '/') {
      if (comp_start)
        return false; /* leading "/" or "//" */
      comp_start = true;
      continue;
    }
    if (comp_start && (c == '.' || c == '-'))
      return false; /* ".", "..", hidden files, option-like names */
    if (!isalnum(c) && c != '_' && c != '+' && c != '-')
      return false;
    comp_start = false;
  }
  return !comp_start;
}

/* ---- TZif ------------------------------------------------------------------------------ */

static uint32_t be32(const unsigned char *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p) {
  return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* Parses "[+-]h[h][:mm[:ss]]" (POSIX offsets and rule times); returns bytes used or 0. */
static size_t posix_hms(const char *s, int *ret_secs) {
  size_t i = 0;
  int sign = 1;
  if (s[i] == '+' || s[i] == '-')
    sign = s[i++] == '-' ? -1 : 1;
  if (!isdigit((unsigned char)s[i]))
    return 0;
  int h = 0, m = 0, sec = 0;
  while (isdigit((unsigned char)s[i]) && h < 1000)
    h = h * 10 + (s[i++] - '0');
  if (s[i] == ':' && isdigit((unsigned char)s[i + 1])) {
    i++;
    while (isdigit((unsigned char)s[i]) && m < 100)
      m = m * 10 + (s[i++] - '0');
    if (s[i] == ':' && isdigit((unsigned char)s[i + 1])) {
      i++;
      while (isdigit((unsigned char)s[i]) && sec < 100)
        sec = sec * 10 + (s[i++] - '0');
    }
  }
  *ret_secs = sign * (h * 3600 + m * 60 + sec);
  return i;
}

static size_t posix_name(const char *s) {
  size_t i = 0;
  if (s[0] == '<') {
    while (s[i] && s[i] != '>')
      i++;
    return s[i] == '>' ? i + 1 : 0;
  }
  while (isalpha((unsigned char)s[i]))
    i++;
  return i >= 3 ? i : 0;
}

static size_t posix_date(const char *s, struct posix_date *d) {
  if (s[0] != 'M')
    return 0; /* Julian-day rules are not used by any zone a live blog names */
  size_t i = 1;
  int v[3] = {0, 0, 0};
  for (int k = 0; k < 3; k++) {
    if (!isdigit((unsigned char)s[i]))
      return 0;
    while (isdigit((unsigned char)s[i]) && v[k] < 100)
      v[k] = v[k] * 10 + (s[i++] - '0');
    if (k < 2 && s[i++] != '.')
      return 0;
  }
  if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
    return 0;
  d->month = v[0];
  d->week = v[1];
  d->wday = v[2];
  d->secs = 7200;
  if (s[i] == '/') {
    size_t n = posix_hms(s + i + 1, &d->secs);
    if (!n)
      return 0;
    i += 1 + n;
  }
  return i;
}

static void posix_parse(const char *s, struct posix_rule *r) {
  memset(r, 0, sizeof *r);
  size_t n = posix_name(s);
  if (!n)
    return;
  s += n;
  int off;
  if (!(n = posix_hms(s, &off)))
    return;
  s += n;
  r->std_off = -off;
  r->dst_off = r->std_off + 3600;
  r->valid = true;
  if (!*s)
    return;
  if (!(n = posix_name(s))) {
    r->valid = false;
    return;
  }
  s += n;
  if (*s && *s != ',') {
    if (!(n = posix_hms(s, &off))) {
      r->valid = false;
      return;
    }
    s += n;
    r->dst_off = -off;
  }
  if (*s++ != ',' || !(n = posix_date(s, &r->start)) || s[n] != ',' ||
      !posix_date(s + n + 1, &r->end)) {
    r->has_dst = false; /* unreadable rule: keep standard time rather than guess */
    return;
  }
  r->has_dst = true;
}

/* Seconds since the epoch, counted in local wall-clock terms, when rule date d falls in year. */
static int64_t posix_date_local(int year, const struct posix_date *d) {
  int64_t first = civil_days_from_ymd(year, d->month, 1);
  int delta = (d->wday - civil_weekday(first) + 7) % 7;
  int day = 1 + delta + (d->week - 1) * 7;
  int dim = civil_days_in_month(year, d->month);
  while (day > dim)
    day -= 7;
  return (first + day - 1) * 86400 + d->secs;
}

static int posix_offset_at(const struct posix_rule *r, int64_t utc) {
  if (!r->has_dst)
    return r->std_off;
  int y, m, dd;
  civil_ymd_from_days((utc + r->std_off) / 86400 - ((utc + r->std_off) % 86400 < 0), &y, &m, &dd);
  int64_t start = posix_date_local(y, &r->start) - r->std_off;
  int64_t end = posix_date_local(y, &r->end) - r->dst_off;
  bool in_dst = start < end ? (utc >= start && utc < end) : (utc >= start || utc < end);
  return in_dst ? r->dst_off : r->std_off;
}

static int tzif_parse(const unsigned char *p, size_t len, struct tz *z) {
  if (len < 44 || memcmp(p, "TZif", 4) != 0)
    return -EINVAL;
  int version = p[4];
  size_t off = 0;
  size_t tsize = 4;
  if (version >= '2') {
    /* Skip the 32-bit block: the 64-bit one after it covers every instant. */
    size_t cnt[6];
    for (int i = 0; i < 6; i++)
      cnt[i] = be32(p + 20 + 4 * i);
    size_t v1 = cnt[3] * 5 + cnt[4] * 6 + cnt[5] + cnt[2] * 8 + cnt[1] + cnt[0];
    off = 44 + v1;
    if (off + 44 > len || memcmp(p + off, "TZif", 4) != 0)
      return -EINVAL;
    tsize = 8;
  }
  size_t isutcnt = be32(p + off + 20), isstdcnt = be32(p + off + 24),
         leapcnt = be32(p + off + 28), timecnt = be32(p + off + 32),
         typecnt = be32(p + off + 36), charcnt = be32(p + off + 40);
  if (typecnt == 0 || typecnt > 256 || timecnt > len || charcnt > len)
    return -EINVAL;
  size_t body = timecnt * (tsize + 1) + typecnt * 6 + charcnt + leapcnt * (tsize + 4) +
                isstdcnt + isutcnt;
  const unsigned char *d = p + off + 44;
  if (off + 44 + body > len)
    return -EINVAL;
  z->times = calloc(timecnt ? timecnt : 1, sizeof *z->times);
  z->idx = calloc(timecnt ? timecnt : 1, 1);
  z->types = calloc(typecnt, sizeof *z->types);
  if (!z->times || !z->idx || !z->types)
    return -ENOMEM;
  for (size_t i = 0; i < timecnt; i++)
    z->times[i] = tsize == 8 ? be64(d + 8 * i) : (int32_t)be32(d + 4 * i);
  d += timecnt * tsize;
  for (size_t i = 0; i < timecnt; i++) {
    if (d[i] >= typecnt)
      return -EINVAL;
    z->idx[i] = d[i];
  }
  d += timecnt;
  const unsigned char *chars = d + typecnt * 6;
  for (size_t i = 0; i < typecnt; i++) {
    z->types[i].utoff = (int32_t)be32(d + 6 * i);
    z->types[i].isdst = d[6 * i + 4] != 0;
    size_t ai = d[6 * i + 5];
    if (ai < charcnt) {
      size_t k = 0;
      while (ai + k < charcnt && chars[ai + k] && k + 1 < sizeof z->types[i].abbr) {
        z->types[i].abbr[k] = (char)chars[ai + k];
        k++;
      }
    }
  }
  z->ntimes = timecnt;
  z->ntypes = typecnt;
  const unsigned char *foot = p + off + 44 + body;
  size_t rest = len - (off + 44 + body);
  if (tsize == 8 && rest >= 2 && foot[0] == '\n') {
    char spec[128];
    size_t k = 0;
    while (k + 1 < rest && foot[1 + k] != '\n' && k + 1 < sizeof spec) {
      spec[k] = (char)foot[1 + k];
      k++;
    }
    spec[k] = '\0';
    posix_parse(spec, &z->rule);
  }
  return 0;
}

static int tz_read(const char *dir, const char *name, struct tz **ret) {
  char path[512];
  if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, name) >= sizeof path)
    return -EINVAL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0)
    return errno == ENOENT || errno == ENOTDIR ? -ENOENT : -errno;
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return -EINVAL;
  }
  if (st.st_size > BRAID_TZ_MAX_FILE_BYTES) {
    close(fd);
    return -E2BIG;
  }
  size_t len = (size_t)st.st_size;
  unsigned char *data = malloc(len ? len : 1);
  if (!data) {
    close(fd);
    return -ENOMEM;
  }
  size_t got = 0;
  while (got < len) {
    ssize_t r = read(fd, data + got, len - got);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    got += (size_t)r;
  }
  close(fd);
  struct tz *z = calloc(1, sizeof *z);
  if (!z) {
    free(data);
    return -ENOMEM;
  }
  int r = tzif_parse(data, got, z);
  free(data);
  if (r < 0) {
    tz_free(z);
    return r;
  }
  snprintf(z->name, sizeof z->name, "%s", name);
  *ret = z;
  return 0;
}

int tzset_get(struct tzset *s, const char *name, const struct tz **ret) {
  if (!tz_name_is_safe(name))
    return -EINVAL;
  for (size_t i = 0; i < s->n; i++)
    if (strcmp(s->zones[i]->name, name) == 0) {
      *ret = s->zones[i];
      return 0;
    }
  for (size_t i = 0; i < s->nfailed; i++)
    if (strcmp(s->failed[i], name) == 0)
      return s->failed_err[i];
  if (s->n >= BRAID_TZ_MAX_ZONES || s->nfailed >= BRAID_TZ_MAX_ZONES)
    return -E2BIG;
  struct tz *z;
  int r = tz_read(s->dir, name, &z);
  if (r < 0) {
    if (r != -ENOMEM) {
      snprintf(s->failed[s->nfailed], sizeof s->failed[0], "%s", name);
      s->failed_err[s->nfailed++] = r;
    }
    return r;
  }
  s->zones[s->n++] = z;
  *ret = z;
  return 0;
}

/* ---- offsets --------------------------------------------------------------------------- */

int tz_offset_at(const struct tz *z, int64_t utc) {
  if (z->ntimes == 0 || utc < z->times[0]) {
    if (z->ntimes == 0 && z->rule.valid)
      return posix_offset_at(&z->rule, utc);
    /* Before the first transition: the first non-DST type, as zic documents. */
    for (size_t i = 0; i < z->ntypes; i++)
      if (!z->types[i].isdst)
        return z->types[i].utoff;
    return z->types[0].utoff;
  }
  if (utc >= z->times[z->ntimes - 1] && z->rule.valid)
    return posix_offset_at(&z->rule, utc);
  size_t lo = 0, hi = z->ntimes; /* last transition <= utc */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (z->times[mid] <= utc)
      lo = mid;
    else
      hi = mid;
  }
  return z->types[z->idx[lo]].utoff;
}

int64_t tz_local_to_utc(const struct tz *z, int64_t local) {
  /* The offsets in force a day either side bracket every possible reading. */
  int before = tz_offset_at(z, local - 86400), after = tz_offset_at(z, local + 86400);
  int64_t a = local - before, b = local - after;
  bool a_ok = tz_offset_at(z, a) == before, b_ok = tz_offset_at(z, b) == after;
  if (a_ok && b_ok)
    return a < b ? a : b;
  if (a_ok)
    return a;
  if (b_ok)
    return b;
  return a; /* in a gap: read with the offset before it */
}

bool tz_abbrev_offset(const struct tz *z, const char *abbr, int64_t near, int *ret_offset) {
  bool found = false;
  for (size_t i = 0; i < z->ntypes; i++)
    if (strcasecmp(z->types[i].abbr, abbr) == 0) {
      *ret_offset = z->types[i].utoff;
      found = true;
    }
  if (!found)
    return false;
  /* Several offsets under one name (zones that changed): prefer the one in use near `near`. */
  for (int k = -1; k <= 1; k++) {
    int off = tz_offset_at(z, near + k * 180 * 86400);
    for (size_t i = 0; i < z->ntypes; i++)
      if (z->types[i].utoff == off && strcasecmp(z->types[i].abbr, abbr) == 0) {
        *ret_offset = off;
        return true;
      }
  }
  return true;
}

int64_t zone_local_to_utc(const struct zone_ref *z, int64_t local) {
  if (z->kind == ZONE_REGION)
    return tz_local_to_utc(z->region, local);
  return local - (z->kind == ZONE_FIXED ? z->offset : 0);
}

int zone_offset_at(const struct zone_ref *z, int64_t utc) {
  if (z->kind == ZONE_REGION)
    return tz_offset_at(z->region, utc);
  return z->kind == ZONE_FIXED ? z->offset : 0;
}

/* ---- names ----------------------------------------------------------------------------- */

/* Abbreviations as newsrooms write them. A region (non-NULL) means "that region's time at that
 * date": ET is EST in winter and EDT in summer; MSK was +04 in 2011-2014. */
static const struct abbrev {
  const char *name;
  int offset; /* seconds east, when region is NULL */
  const char *region;
} ABBREVS[] = {
    {"ACDT", 37800, NULL},  {"ACST", 34200, NULL},  {"ADT", -10800, NULL},
    {"AEDT", 39600, NULL},  {"AEST", 36000, NULL},  {"AET", 0, "Australia/Sydney"},
    {"AKDT", -28800, NULL}, {"AKST", -32400, NULL}, {"AST", 10800, NULL}, /* Arabia */
    {"AWST", 28800, NULL},  {"BST", 3600, NULL},    {"CAT", 7200, NULL},
    {"CDT", -18000, NULL},  {"CEST", 7200, NULL},   {"CET", 3600, NULL},
    {"CST", -21600, NULL},  {"CT", 0, "America/Chicago"},                 {"EAT", 10800, NULL},
    {"EDT", -14400, NULL},  {"EEST", 10800, NULL},  {"EET", 7200, NULL},
    {"EST", -18000, NULL},  {"ET", 0, "America/New_York"},                {"GMT", 0, NULL},
    {"GST", 14400, NULL},   {"HKT", 28800, NULL},   {"HST", -36000, NULL},
    {"IDT", 10800, NULL},   {"IRST", 12600, NULL},  {"IST", 19800, NULL}, /* India */
    {"JST", 32400, NULL},   {"KST", 32400, NULL},   {"MDT", -21600, NULL},
    {"MESZ", 7200, NULL},   {"MEZ", 3600, NULL},    {"MSK", 0, "Europe/Moscow"},
    {"MST", -25200, NULL},  {"MT", 0, "America/Denver"},                  {"NZDT", 46800, NULL},
    {"NZST", 43200, NULL},  {"PDT", -25200, NULL},  {"PKT", 18000, NULL},
    {"PST", -28800, NULL},  {"PT", 0, "America/Los_Angeles"},             {"SAST", 7200, NULL},
    {"SGT", 28800, NULL},   {"TRT", 10800, NULL},   {"UT", 0, NULL},
    {"UTC", 0, NULL},       {"WAT", 3600, NULL},    {"WEST", 3600, NULL},
    {"WET", 0, NULL},       {"WIB", 25200, NULL},   {"Z", 0, NULL},
};

/* "<place> time", as in "14:52 Kyiv time". */
static const struct place {
  const char *name;
  const char *region;
} PLACES[] = {
    {"beijing", "Asia/Shanghai"},  {"central", "America/Chicago"}, {"mountain", "America/Denver"},  {"berlin", "Europe/Berlin"},   {"brussels", "Europe/Brussels"},
    {"cairo", "Africa/Cairo"},     {"damascus", "Asia/Damascus"}, {"doha", "Asia/Qatar"},
    {"eastern", "America/New_York"}, {"gaza", "Asia/Gaza"},       {"israel", "Asia/Jerusalem"},
    {"jerusalem", "Asia/Jerusalem"}, {"kiev", "Europe/Kyiv"},     {"kyiv", "Europe/Kyiv"},
    {"london", "Europe/London"},   {"moscow", "Europe/Moscow"},   {"pacific", "America/Los_Angeles"},
    {"paris", "Europe/Paris"},     {"sydney", "Australia/Sydney"}, {"tehran", "Asia/Tehran"},
    {"tel aviv", "Asia/Jerusalem"}, {"tokyo", "Asia/Tokyo"},      {"uk", "Europe/London"},
    {"ukraine", "Europe/Kyiv"},    {"washington", "America/New_York"},
    {"beirut", "Asia/Beirut"},     {"kabul", "Asia/Kabul"},       {"istanbul", "Europe/Istanbul"},
    {"ankara", "Europe/Istanbul"}, {"delhi", "Asia/Kolkata"},     {"india", "Asia/Kolkata"},
    {"hong kong", "Asia/Hong_Kong"}, {"new york", "America/New_York"}, {"madrid", "Europe/Madrid"},
    {"rome", "Europe/Rome"},       {"amsterdam", "Europe/Amsterdam"},
    {"riyadh", "Asia/Riyadh"},     {"dubai", "Asia/Dubai"},       {"tripoli", "Africa/Tripoli"},
    {"baghdad", "Asia/Baghdad"},   {"khartoum", "Africa/Khartoum"}, {"taipei", "Asia/Taipei"},
    {"seoul", "Asia/Seoul"},       {"sanaa", "Asia/Aden"},        {"minsk", "Europe/Minsk"},
};

/* Zones spelled out in words, as some outlets print them after the clock, and what they
 * mean: an abbreviation of ABBREVS or an IANA region. Longest first where one begins another. */
static const struct spelled {
  const char *name;
  const char *means;
} SPELLED[] = {
    {"australian eastern daylight time", "AEDT"}, {"australian eastern standard time", "AEST"},
    {"central european summer time", "CEST"},     {"eastern european summer time", "EEST"},
    {"coordinated universal time", "UTC"},        {"central european time", "CET"},
    {"eastern european time", "EET"},             {"eastern daylight time", "EDT"},
    {"eastern standard time", "EST"},             {"pacific daylight time", "PDT"},
    {"pacific standard time", "PST"},             {"central daylight time", "CDT"},
    {"central standard time", "CST"},             {"british summer time", "BST"},
    {"greenwich mean time", "GMT"},               {"horário de brasília", "America/Sao_Paulo"},
    {"hora de brasília", "America/Sao_Paulo"},    {"hora peninsular", "Europe/Madrid"},
    {"heure de paris", "Europe/Paris"},           {"heure française", "Europe/Paris"},
    {"heure de france", "Europe/Paris"},          {"ora italiana", "Europe/Rome"},
    {"nederlandse tijd", "Europe/Amsterdam"},     {"deutscher zeit", "Europe/Berlin"},
    {"eastern time", "ET"},                       {"pacific time", "PT"},
    {"central time", "CT"},                       {"mountain time", "MT"},
    {"uk time", "Europe/London"},
};

size_t tz_spelled_len(const char *t, size_t n) {
  for (size_t i = 0; i < sizeof SPELLED / sizeof SPELLED[0]; i++) {
    size_t k = strlen(SPELLED[i].name);
    if (k <= n && strncasecmp(t, SPELLED[i].name, k) == 0 &&
        (k == n || !isalpha((unsigned char)t[k])))
      return k;
  }
  return 0;
}

static int region_ref(struct tzset *s, const char *name, struct zone_ref *ret) {
  const struct tz *z;
  int r = tzset_get(s, name, &z);
  if (r == -ENOENT && strcmp(name, "Europe/Kyiv") == 0)
    r = tzset_get(s, "Europe/Kiev", &z); /* tzdata before 2022b */
  if (r < 0)
    return r;
  ret->kind = ZONE_REGION;
  ret->region = z;
  return 0;
}

/* "+0100", "+01:00", "-5", "+5:30" with the sign at t[0]; 0 or -EINVAL. */
static int numeric_offset(const char *t, size_t n, int *ret) {
  if (n < 2 || (t[0] != '+' && t[0] != '-'))
    return -EINVAL;
  int sign = t[0] == '-' ? -1 : 1;
  int digits[4], nd = 0;
  bool colon = false;
  for (size_t i = 1; i < n; i++) {
    if (isdigit((unsigned char)t[i]) && nd < 4)
      digits[nd++] = t[i] - '0';
    else if (t[i] == ':' && !colon && (nd == 1 || nd == 2))
      colon = true;
    else
      return -EINVAL;
  }
  int h, m = 0;
  if (colon) {
    size_t before = (size_t)(strchr(t, ':') - t) - 1;
    if (nd - (int)before != 2)
      return -EINVAL;
    h = before == 1 ? digits[0] : digits[0] * 10 + digits[1];
    m = digits[before] * 10 + digits[before + 1];
  } else if (nd == 1 || nd == 2) {
    h = nd == 1 ? digits[0] : digits[0] * 10 + digits[1];
  } else if (nd == 4) {
    h = digits[0] * 10 + digits[1];
    m = digits[2] * 10 + digits[3];
  } else {
    return -EINVAL;
  }
  if (h > 14 || m > 59)
    return -EINVAL;
  *ret = sign * (h * 3600 + m * 60);
  return 0;
}

int tz_resolve(struct tzset *s, const char *text, size_t len, const struct tz *hint,
               int64_t near, struct zone_ref *ret) {
  memset(ret, 0, sizeof *ret);
  while (len && (isspace((unsigned char)*text) || *text == '('))
    text++, len--;
  while (len && (isspace((unsigned char)text[len - 1]) || text[len - 1] == ')'))
    len--;
  if (len == 0 || len > BRAID_TZ_NAME_MAX_BYTES)
    return -EINVAL;
  char t[BRAID_TZ_NAME_MAX_BYTES + 1];
  memcpy(t, text, len);
  t[len] = '\0';
  int off;
  if (numeric_offset(t, len, &off) == 0) {
    ret->kind = ZONE_FIXED;
    ret->offset = off;
    return 0;
  }
  if ((len > 3 && (strncasecmp(t, "UTC", 3) == 0 || strncasecmp(t, "GMT", 3) == 0)) &&
      numeric_offset(t + 3 + (t[3] == ' '), len - 3 - (t[3] == ' '), &off) == 0) {
    ret->kind = ZONE_FIXED;
    ret->offset = off;
    return 0;
  }
  if (strchr(t, '/'))
    return region_ref(s, t, ret);
  for (size_t i = 0; i < sizeof SPELLED / sizeof SPELLED[0]; i++)
    if (strcasecmp(SPELLED[i].name, t) == 0)
      return tz_resolve(s, SPELLED[i].means, strlen(SPELLED[i].means), hint, near, ret);
  if (hint && isalpha((unsigned char)t[0]) && len <= 6 && tz_abbrev_offset(hint, t, near, &off)) {
    ret->kind = ZONE_FIXED;
    ret->offset = off;
    return 0;
  }
  for (size_t i = 0; i < sizeof ABBREVS / sizeof ABBREVS[0]; i++)
    if (strcasecmp(ABBREVS[i].name, t) == 0) {
      if (ABBREVS[i].region)
        return region_ref(s, ABBREVS[i].region, ret);
      ret->kind = ZONE_FIXED;
      ret->offset = ABBREVS[i].offset;
      return 0;
    }
  if (len > 5 && strcasecmp(t + len - 5, " time") == 0)
    t[len -= 5] = '\0';
  if (strchr(t, ' ') || tz_is_place(t, len)) {
    for (size_t i = 0; i < sizeof PLACES / sizeof PLACES[0]; i++)
      if (strcasecmp(PLACES[i].name, t) == 0)
        return region_ref(s, PLACES[i].region, ret);
    return -EINVAL;
  }
  /* Bare IANA names without an area ("UTC", "Japan", "Israel"). */
  if (tz_name_is_safe(t) && isupper((unsigned char)t[0]) && len > 3) {
    int r = region_ref(s, t, ret);
    if (r == 0)
      return 0;
    memset(ret, 0, sizeof *ret);
  }
  return -EINVAL;
}

bool tz_is_abbrev(const char *t, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (!isupper((unsigned char)t[i]))
      return false;
  for (size_t i = 0; i < sizeof ABBREVS / sizeof ABBREVS[0]; i++)
    if (strlen(ABBREVS[i].name) == n && memcmp(ABBREVS[i].name, t, n) == 0)
      return true;
  return false;
}

bool tz_is_place(const char *t, size_t n) {
  if (n == 5 && strncasecmp(t, "local", 5) == 0)
    return true;
  for (size_t i = 0; i < sizeof PLACES / sizeof PLACES[0]; i++)
    if (strlen(PLACES[i].name) == n && strncasecmp(PLACES[i].name, t, n) == 0)
      return true;
  return false;
}

bool tz_name_known(const char *name) {
  struct tzset *s = tzset_new();
  if (!s)
    return false;
  struct zone_ref z;
  bool known = tz_resolve(s, name, strlen(name), NULL, 0, &z) == 0 && z.kind != ZONE_NONE;
  tzset_free(s);
  return known;
}
