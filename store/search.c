/* search.c — queries checked and rewritten for FTS5, and filtered reads of the stream.
 * See search.h. */
#include "search.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

enum token_kind { TOK_TERM, TOK_AND, TOK_OR, TOK_NOT, TOK_OPEN, TOK_CLOSE };

/* The query being rewritten: the reader moves through it, the writer appends to out. */
struct compile {
  const char *p;         /* next byte of the query */
  char *out;             /* the FTS5 expression so far */
  size_t len, cap;
  unsigned terms, depth, prefixes;
  bool want_operand;     /* the last token was an operator or '(' (or nothing yet) */
  bool any;              /* a term was written */
  char *err;
  size_t errlen;
};

static int fail(struct compile *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(struct compile *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->err, c->errlen, fmt, ap);
  va_end(ap);
  return -EINVAL;
}

static void emit(struct compile *c, const char *s, size_t n) {
  /* cap is sized in store_search_compile for the worst case, so this never overflows. */
  memcpy(c->out + c->len, s, n);
  c->len += n;
  c->out[c->len] = '\0';
}

static bool is_blank(char ch) { return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r'; }
static bool ends_word(char ch) { return !ch || is_blank(ch) || ch == '(' || ch == ')' || ch == '"'; }

/* A word or "phrase" (with an optional trailing '*'), written quoted. */
static int term(struct compile *c, const char *start, size_t n, bool prefix) {
  if (++c->terms > STORE_SEARCH_MAX_TERMS) {
    return fail(c, "too many terms (at most %d)", STORE_SEARCH_MAX_TERMS);
  }
  if (prefix && n < STORE_SEARCH_MIN_PREFIX_BYTES)
    return fail(c, "a prefix needs at least %d characters before '*'",
                STORE_SEARCH_MIN_PREFIX_BYTES);
  if (prefix && ++c->prefixes > STORE_SEARCH_MAX_PREFIXES)
    return fail(c, "too many prefixes (at most %d words ending in '*')",
                STORE_SEARCH_MAX_PREFIXES);
  if (c->any && !c->want_operand)
    emit(c, " AND ", 5); /* FTS5's implicit AND, made explicit so '(' may follow a term */
  emit(c, "\"", 1);
  emit(c, start, n);
  emit(c, prefix ? "\"*" : "\"", prefix ? 2 : 1);
  c->want_operand = false;
  c->any = true;
  return 0;
}

static int operator(struct compile *c, enum token_kind k) {
  static const char *const names[] = {[TOK_AND] = "AND", [TOK_OR] = "OR", [TOK_NOT] = "NOT"};
  if (c->want_operand)
    return fail(c, "%s needs a term on each side", names[k]);
  emit(c, " ", 1);
  emit(c, names[k], strlen(names[k]));
  emit(c, " ", 1);
  c->want_operand = true;
  return 0;
}

static int open_paren(struct compile *c) {
  if (++c->depth > STORE_SEARCH_MAX_DEPTH)
    return fail(c, "parentheses nested too deep");
  if (c->any && !c->want_operand)
    emit(c, " AND ", 5);
  emit(c, "(", 1);
  c->want_operand = true;
  return 0;
}

static int close_paren(struct compile *c) {
  if (c->depth == 0)
    return fail(c, "')' without '('");
  if (c->want_operand)
    return fail(c, "nothing before ')'");
  c->depth--;
  emit(c, ")", 1);
  return 0;
}

/* Reads and writes the next token; *ret_done at the end of the query. */
static int next_token(struct compile *c, bool *ret_done) {
  while (is_blank(*c->p))
    c->p++;
  if (!*c->p) {
    *ret_done = true;
    return 0;
  }
  if (*c->p == '(') {
    c->p++;
    return open_paren(c);
  }
  if (*c->p == ')') {
    c->p++;
    return close_paren(c);
  }
  if (*c->p == '"') {
    const char *start = ++c->p, *end = strchr(start, '"');
    if (!end)
      return fail(c, "a quote (\") is not closed");
    c->p = end + 1;
    bool prefix = *c->p == '*';
    c->p += prefix;
    if (end == start)
      return fail(c, "empty phrase \"\"");
    if (!ends_word(*c->p))
      return fail(c, "put a space after a closing quote");
    return term(c, start, (size_t)(end - start), prefix);
  }
  const char *start = c->p;
  while (!ends_word(*c->p))
    c->p++;
  size_t n = (size_t)(c->p - start);
  if (n == 3 && memcmp(start, "AND", 3) == 0)
    return operator(c, TOK_AND);
  if (n == 2 && memcmp(start, "OR", 2) == 0)
    return operator(c, TOK_OR);
  if (n == 3 && memcmp(start, "NOT", 3) == 0)
    return operator(c, TOK_NOT);
  bool prefix = start[n - 1] == '*';
  return term(c, start, n - prefix, prefix);
}

int store_search_compile(const char *query, char **ret_fts, char *err, size_t errlen) {
  *ret_fts = NULL;
  size_t qlen = query ? strlen(query) : 0;
  struct compile c = {.p = query, .want_operand = true, .err = err, .errlen = errlen};
  if (qlen > STORE_SEARCH_MAX_QUERY_BYTES) {
    return fail(&c, "query longer than %d bytes", STORE_SEARCH_MAX_QUERY_BYTES);
  }
  for (size_t i = 0; i < qlen; i++)
    if ((unsigned char)query[i] < 0x20 && !is_blank(query[i]))
      return fail(&c, "control character in query");
  /* Worst case: every byte a one-letter term, each written as ' AND "x"' plus parentheses. */
  c.cap = 10 * qlen + 16;
  if (!(c.out = malloc(c.cap)))
    return -ENOMEM;
  c.out[0] = '\0';
  int r = 0;
  bool done = false;
  while (r == 0 && !done)
    r = next_token(&c, &done);
  if (r == 0 && !c.any)
    r = fail(&c, "empty query: give at least one word");
  else if (r == 0 && c.want_operand)
    r = fail(&c, "the query ends with an operator: AND, OR and NOT need a term on each "
                 "side");
  else if (r == 0 && c.depth)
    r = fail(&c, "'(' without ')'");
  if (r < 0) {
    free(c.out);
    return r;
  }
  *ret_fts = c.out;
  return 0;
}

int store_search_check(const char *query, char *err, size_t errlen) {
  char *fts;
  int r = store_search_compile(query, &fts, err, errlen);
  free(fts);
  return r;
}

/* ---- filtered reads ------------------------------------------------------------------- */

/* The FTS5 expression for f's queries (NULL when it has none). 0, or -EINVAL/-ENOMEM with
 * s->errmsg set. */
static int filter_expression(struct store *s, const struct store_filter *f, char **ret) {
  *ret = NULL;
  const char *qs[2] = {f->query, f->query2};
  char *parts[2] = {NULL, NULL}, err[256];
  int r = 0;
  for (int i = 0; i < 2 && r == 0; i++)
    if (qs[i] && (r = store_search_compile(qs[i], &parts[i], err, sizeof err)) < 0)
      snprintf(s->errmsg, sizeof s->errmsg, "%s", r == -ENOMEM ? "out of memory" : err);
  if (r == 0 && parts[0] && parts[1]) {
    if (asprintf(ret, "(%s) AND (%s)", parts[0], parts[1]) < 0) {
      *ret = NULL;
      r = store_failf(s, -ENOMEM, "out of memory searching");
    }
  } else if (r == 0) {
    *ret = parts[0] ? parts[0] : parts[1];
    parts[0] = parts[1] = NULL;
  }
  free(parts[0]);
  free(parts[1]);
  return r;
}

/* The feed names as a JSON array for json_each (names are file names: anything but '/'). */
static int feeds_json(struct store *s, const struct store_filter *f, char **ret) {
  size_t cap = 3;
  for (size_t i = 0; i < f->n_feeds; i++)
    cap += 6 * strlen(f->feeds[i]) + 3;
  char *out = malloc(cap), *w = out;
  if (!out)
    return store_failf(s, -ENOMEM, "out of memory searching");
  *w++ = '[';
  for (size_t i = 0; i < f->n_feeds; i++) {
    if (i)
      *w++ = ',';
    *w++ = '"';
    for (const unsigned char *p = (const unsigned char *)f->feeds[i]; *p; p++) {
      if (*p < 0x20 || *p == '"' || *p == '\\')
        w += sprintf(w, "\\u%04x", *p);
      else
        *w++ = (char)*p;
    }
    *w++ = '"';
  }
  *w++ = ']';
  *w = '\0';
  *ret = out;
  return 0;
}

/* Counts down the search's work budget; non-zero stops the statement (SQLITE_INTERRUPT). */
static int on_progress(void *arg) {
  long *left = arg;
  return --*left < 0;
}

int store_stream_filter(struct store *s, const struct store_filter *f, size_t n,
                        struct stream_list *ret) {
  memset(ret, 0, sizeof *ret);
  if (f->by_feeds && f->n_feeds > STORE_SEARCH_MAX_FEEDS)
    return store_failf(s, -EINVAL, "filter names %zu feeds (at most %d)", f->n_feeds,
                       STORE_SEARCH_MAX_FEEDS);
  if ((f->by_feeds && f->n_feeds == 0) || n == 0)
    return 0;
  char *fts = NULL, *feeds = NULL;
  int r = filter_expression(s, f, &fts);
  if (r == 0 && f->by_feeds)
    r = feeds_json(s, f, &feeds);
  sqlite3_stmt *st = NULL;
  if (r == 0 && !(st = store_stmt(s, fts ? STMT_STREAM_SEARCH : STMT_STREAM_FILTER)))
    r = -EIO;
  if (r == 0) {
    if (fts)
      store_bind_text(st, 1, fts);
    sqlite3_bind_int64(st, 2, f->since);
    store_bind_text(st, 3, feeds);
    sqlite3_bind_int64(st, 4, n > INT64_MAX ? INT64_MAX : (int64_t)n);
    long budget = STORE_SEARCH_MAX_VM_STEPS / 1000;
    sqlite3_progress_handler(s->db, 1000, on_progress, &budget);
    r = store__read_entries(s, st, ret);
    sqlite3_progress_handler(s->db, 0, NULL, NULL);
    if (r < 0 && budget < 0) {
      snprintf(s->errmsg, sizeof s->errmsg,
               "search too costly (over %d steps): use rarer words or fewer prefixes",
               STORE_SEARCH_MAX_VM_STEPS);
      r = -EINVAL;
    }
  }
  free(fts);
  free(feeds);
  return r;
}
