/* stamp_words.c — the words around a live-blog stamp: month and weekday names in seven
 * languages, labels, relative times and bullets. See stamp_internal.h. */
#include "stamp_internal.h"

/* Month names as newsrooms write them, in the languages braid reads: English, German, French,
 * Spanish, Italian, Portuguese and Dutch, full and abbreviated. Abbreviations that are also
 * common words ("out", "set", "ago", "gen", "mag") are left out: a block opening "Out 5 ..."
 * is prose. Matched as whole words, case-insensitively for ASCII. */
static const struct name {
  const char *w;
  int v;
} MONTH_NAMES[] = {
    {"january", 1},    {"jan", 1},        {"januar", 1},      {"jänner", 1},     {"janvier", 1},
    {"janv", 1},       {"enero", 1},      {"gennaio", 1},     {"janeiro", 1},    {"januari", 1},
    {"february", 2},   {"feb", 2},        {"februar", 2},     {"février", 2},    {"fevrier", 2},
    {"févr", 2},       {"fevr", 2},       {"febrero", 2},     {"febbraio", 2},   {"fevereiro", 2},
    {"fev", 2},        {"februari", 2},   {"march", 3},       {"mar", 3},        {"märz", 3},
    {"mär", 3},        {"mrz", 3},        {"mars", 3},        {"marzo", 3},      {"março", 3},
    {"marco", 3},      {"maart", 3},      {"mrt", 3},         {"april", 4},      {"apr", 4},
    {"avril", 4},      {"avr", 4},        {"abril", 4},       {"abr", 4},        {"aprile", 4},
    {"may", 5},        {"mai", 5},        {"mayo", 5},        {"maggio", 5},     {"maio", 5},
    {"mei", 5},        {"june", 6},       {"jun", 6},         {"juni", 6},       {"juin", 6},
    {"junio", 6},      {"giugno", 6},     {"junho", 6},       {"july", 7},       {"jul", 7},
    {"juli", 7},       {"juillet", 7},    {"juil", 7},        {"julio", 7},      {"luglio", 7},
    {"julho", 7},      {"august", 8},     {"aug", 8},         {"août", 8},       {"aout", 8},
    {"agosto", 8},     {"augustus", 8},   {"september", 9},   {"sept", 9},       {"sep", 9},
    {"septembre", 9},  {"septiembre", 9}, {"setiembre", 9},   {"settembre", 9},  {"setembro", 9},
    {"october", 10},   {"oct", 10},       {"oktober", 10},    {"okt", 10},       {"octobre", 10},
    {"octubre", 10},   {"ottobre", 10},   {"outubro", 10},    {"november", 11},  {"nov", 11},
    {"novembre", 11},  {"noviembre", 11}, {"novembro", 11},   {"december", 12},  {"dec", 12},
    {"dezember", 12},  {"dez", 12},       {"décembre", 12},   {"decembre", 12},  {"déc", 12},
    {"diciembre", 12}, {"dicembre", 12},  {"dezembro", 12},
};

static const struct name WEEKDAY_NAMES[] = {
    {"monday", 1},    {"mon", 1},      {"montag", 1},     {"lundi", 1},    {"lunes", 1},
    {"lunedì", 1},    {"segunda-feira", 1}, {"maandag", 1}, {"tuesday", 2}, {"tue", 2},
    {"tues", 2},      {"dienstag", 2}, {"mardi", 2},      {"martes", 2},   {"martedì", 2},
    {"terça-feira", 2}, {"dinsdag", 2}, {"wednesday", 3}, {"wed", 3},      {"mittwoch", 3},
    {"mercredi", 3},  {"miércoles", 3}, {"miercoles", 3}, {"mercoledì", 3}, {"quarta-feira", 3},
    {"woensdag", 3},  {"thursday", 4}, {"thu", 4},        {"thurs", 4},    {"donnerstag", 4},
    {"jeudi", 4},     {"jueves", 4},   {"giovedì", 4},    {"quinta-feira", 4}, {"donderdag", 4},
    {"friday", 5},    {"fri", 5},      {"freitag", 5},    {"vendredi", 5}, {"viernes", 5},
    {"venerdì", 5},   {"sexta-feira", 5}, {"vrijdag", 5}, {"saturday", 6}, {"sat", 6},
    {"samstag", 6},   {"sonnabend", 6}, {"samedi", 6},    {"sábado", 6},   {"sabado", 6},
    {"sabato", 6},    {"zaterdag", 6}, {"sunday", 7},     {"sun", 7},      {"sonntag", 7},
    {"dimanche", 7},  {"domingo", 7},  {"domenica", 7},   {"zondag", 7},
};

/* The longest name of table (n entries) that stands as a whole word at i. */
static size_t table_word(const struct cur *c, size_t i, const struct name *table, size_t n,
                         int *ret_value) {
  size_t best = 0;
  if (!is_alpha(c, i))
    return 0; /* most blocks open with a digit or a capital of prose: one test, not a scan */
  char first = (char)tolower((unsigned char)c->s[i]);
  for (size_t k = 0; k < n; k++) {
    if (table[k].w[0] != first)
      continue;
    size_t e = word(c, i, table[k].w);
    if (e > best)
      best = e, *ret_value = table[k].v;
  }
  return best;
}

size_t stamp__month_name(const struct cur *c, size_t i, int *ret_month) {
  size_t e = table_word(c, i, MONTH_NAMES, sizeof MONTH_NAMES / sizeof MONTH_NAMES[0], ret_month);
  if (e && e < c->n && c->s[e] == '.')
    e++;
  return e;
}

size_t stamp__weekday(const struct cur *c, size_t i) {
  int v;
  size_t e = table_word(c, i, WEEKDAY_NAMES, sizeof WEEKDAY_NAMES / sizeof WEEKDAY_NAMES[0], &v);
  if (e) {
    if (e < c->n && (c->s[e] == '.' || c->s[e] == ','))
      e++;
    if (e < c->n && c->s[e] == ',')
      e++;
  }
  return e;
}

/* A middle dot or bullet used as a separator ("23.06.2022 • 14:05 Uhr", "há 3 minutos · 21:02"):
 * the offset after it, or 0. */
size_t stamp__middle_dot(const struct cur *c, size_t i) {
  if (i + 2 <= c->n && (unsigned char)c->s[i] == 0xC2 && (unsigned char)c->s[i + 1] == 0xB7)
    return i + 2;
  if (i + 3 <= c->n && (unsigned char)c->s[i] == 0xE2 && (unsigned char)c->s[i + 1] == 0x80 &&
      (unsigned char)c->s[i + 2] == 0xA2)
    return i + 3;
  return 0;
}

/* A relative time, which live blogs print beside the clock as furniture: "5 minutes ago",
 * "4m ago", "2h ago", "vor 5 Minuten", "il y a 3 min", "hace 8 minutos", "há 2 horas". */
size_t stamp__relative_time(const struct cur *c, size_t i) {
  size_t lead = 0, e;
  if ((e = word(c, i, "vor")) || (e = word(c, i, "il y a")) || (e = word(c, i, "hace")) ||
      (e = word(c, i, "h\xc3\xa1")))
    lead = skip_space(c, e);
  int v, k;
  size_t d = digits(c, lead ? lead : i, 3, &v, &k);
  if (!d)
    return 0;
  size_t u = skip_space(c, d), w = u;
  while (is_alpha(c, w))
    w++;
  if (w == u || w - u > 10)
    return 0;
  if (w < c->n && c->s[w] == '.')
    w++;
  if (lead)
    return w;
  static const char *const units[] = {"minutes", "minute", "mins", "min", "hours", "hour", "hrs",
                                      "hr", "days", "day", "secs", "sec", "h", "m", "d", "s"};
  bool unit = false;
  for (size_t x = 0; x < sizeof units / sizeof units[0] && !unit; x++)
    unit = word(c, u, units[x]) != 0;
  return unit ? word(c, skip_space(c, w), "ago") : 0;
}

/* Labels that may come before a stamp ("UPDATE:", "Breaking:", "Posted at"); *ret_weak for
 * edit notes ("Updated at", "Last updated", "UPDATED:"). */
size_t stamp__label(const struct cur *c, size_t i, bool *ret_weak) {
  static const char *const strong[] = {
      "posted at", "published at", "update at", "update", "posted", "published", "breaking news",
      "breaking", "eilmeldung", "just in", "today", "aktualisierung", "mise à jour", "actualización",
      "aggiornamento", "atualização", "última hora", "ultima ora", "live", "ore", "pinned",
      "key event",
  };
  static const char *const weak[] = {"last updated", "updated at", "updated on", "updated"};
  size_t e;
  if (!is_alpha(c, i) && !(i < c->n && (unsigned char)c->s[i] >= 0x80))
    return 0;
  for (size_t k = 0; k < sizeof weak / sizeof weak[0]; k++)
    if ((e = word(c, i, weak[k]))) {
      *ret_weak = true;
      return e;
    }
  for (size_t k = 0; k < sizeof strong / sizeof strong[0]; k++)
    if ((e = word(c, i, strong[k])))
      return e;
  return 0;
}

/* Bullets and brackets before a stamp: [ ( * + "+++" • ■ ▶ ►. */
size_t stamp__bullets(const struct cur *c, size_t i) {
  for (;;) {
    i = skip_space(c, i);
    if (i < c->n && (c->s[i] == '[' || c->s[i] == '(' || c->s[i] == '*' || c->s[i] == '+')) {
      i++;
      continue;
    }
    if (i + 3 <= c->n && (unsigned char)c->s[i] == 0xE2 &&
        (((unsigned char)c->s[i + 1] == 0x80 && (unsigned char)c->s[i + 2] == 0xA2) ||
         ((unsigned char)c->s[i + 1] == 0x96 &&
          ((unsigned char)c->s[i + 2] == 0xA0 || (unsigned char)c->s[i + 2] == 0xB6 ||
           (unsigned char)c->s[i + 2] == 0xBA)))) {
      i += 3;
      continue;
    }
    return i;
  }
}

