/* pgfeeds_sql.h — SQL that pgfeeds.c and pglog.c share (store/pg/ only). */
#ifndef BRAID_PGFEEDS_SQL_H
#define BRAID_PGFEEDS_SQL_H

/* pgfeeds_complete's work as CTEs: $1 holder, $2 feed id, $3 etag, $4 last_modified, $5
 * effective_url, $6 next_due, $7 error_count, $8 last_status. f holds the feed's row (id,
 * name) when it was written, none when holder's lease was not live. The feed is written only
 * through the lease row l releases: no live lease of holder's, no row in l, nothing written. */
#define PGFEEDS_COMPLETE_CTES                                                                  \
  "WITH l AS (UPDATE feed_leases SET holder = NULL, expires = NULL"                             \
  "   WHERE feed_id = $2 AND holder = $1 AND expires > now() RETURNING feed_id),"               \
  " s AS (UPDATE host_slots SET feed_id = NULL, holder = NULL, expires = NULL"                  \
  "   WHERE feed_id = $2 AND holder = $1 AND EXISTS (SELECT 1 FROM l)),"                        \
  " f AS (UPDATE feeds SET etag = $3, last_modified = $4,"                                      \
  "   effective_url = coalesce($5, effective_url), next_due = $6, error_count = $7,"            \
  "   last_status = $8, last_polled = extract(epoch FROM now())::bigint"                        \
  "   WHERE id = (SELECT feed_id FROM l) RETURNING id, name)"

#endif
