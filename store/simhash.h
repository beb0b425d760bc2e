/* simhash.h — fingerprints of text, for "is this the same story?" and "did this change?".
 *
 * Promise: simhash_text gives texts that differ only by a little boilerplate fingerprints a
 * few bits apart, and unrelated texts fingerprints about 32 bits apart, independent of case,
 * punctuation and white space; hash64 is a fixed 64-bit hash (FNV-1a, finalised with the
 * SplitMix64 mixer) whose values are stored on disk, so it must never change.
 */
#ifndef BRAID_SIMHASH_H
#define BRAID_SIMHASH_H

#include <stddef.h>
#include <stdint.h>

/* Words per shingle: three-word phrases tell apart stories that share their vocabulary. */
#define SIMHASH_SHINGLE_WORDS 3

/* Two texts whose fingerprints are at most this many bits apart are one story. Chosen on
 * the seed documents: a seed with a tenth of its length added as boilerplate (paragraphs of
 * the other seeds, 48 trials) lands 2..12 bits from the original, mostly under 9; the
 * different Homs stories, which share much of their vocabulary, are 23..37 bits apart, and
 * two unrelated fingerprints come within 11 bits with probability 1e-7. */
#define SIMHASH_MAX_DISTANCE 11

/* Texts with fewer shingles than this get no fingerprint: short texts ("Video:", a
 * one-line update) look alike without being the same story. */
#define SIMHASH_MIN_SHINGLES 24

/* Lookup bands: a fingerprint is indexed under 8 keys, one per byte. Two fingerprints at
 * most 7 bits apart agree on at least one byte (pigeonhole), so a lookup finds them all;
 * beyond that it finds 99.6% of pairs 8 bits apart, 96% at 10 and 91% at 11 (the chance
 * that the differing bits touch every byte). A byte matches 1 in 256 unrelated
 * fingerprints, so lookups are also bounded in time (SIMHASH_WINDOW_SECONDS). */
#define SIMHASH_BANDS 8
#define SIMHASH_BAND_BITS 8

/* Copies of one story are looked for among entries at most this far apart in time, in
 * seconds: a republished wire story appears within days of the original. */
#define SIMHASH_WINDOW_SECONDS (7 * 24 * 3600)

/* A fingerprint match is confirmed on the texts themselves: at least this share of the
 * shorter text's shingles must occur in the other. Fingerprints of unrelated texts come
 * within SIMHASH_MAX_DISTANCE bits about once in 20 million pairs, which in a store of a
 * million entries is dozens of false merges; unrelated texts share almost no three-word
 * phrases, a republished story nearly all of them. */
#define SIMHASH_MIN_CONTAINMENT 0.5
/* Shingles compared per text at most, bounding the confirmation's memory and time. */
#define SIMHASH_MAX_COMPARED_SHINGLES 20000

struct hash64 {
  uint64_t h;
};
void hash64_init(struct hash64 *s);
void hash64_add(struct hash64 *s, const void *data, size_t len);
/* Adds a string and a terminator, so ("ab","c") and ("a","bc") differ; NULL adds a marker. */
void hash64_add_str(struct hash64 *s, const char *str);
void hash64_add_i64(struct hash64 *s, int64_t v);
uint64_t hash64_final(const struct hash64 *s);
uint64_t hash64_bytes(const void *data, size_t len);
/* The key entries are found by link under (entries.link_hash): hash64_bytes of the
 * normalised link [# update key], as SQLite's signed integer. */
int64_t store_link_hash(const char *link_key);

/* The fingerprint of text in *ret, and the number of shingles it was made from in
 * *ret_shingles (below SIMHASH_MIN_SHINGLES: do not trust the fingerprint). */
void simhash_text(const char *text, uint64_t *ret, size_t *ret_shingles);
/* simhash_text and simhash_text_key together, from one pass over the text's words (a new
 * entry needs both). */
void simhash_text_keyed(const char *text, uint64_t *ret, size_t *ret_shingles,
                        uint64_t *ret_key);
int simhash_distance(uint64_t a, uint64_t b);
/* The share (0..1) of the shingles of the text with fewer of them that the other also has,
 * in *ret. 0 or -ENOMEM. */
int simhash_containment(const char *a, const char *b, double *ret);
/* Texts with at least this many shingles but fewer than SIMHASH_MIN_SHINGLES are short: too
 * few phrases for a fingerprint to mean anything, so a short text is compared with the
 * entries stamped within SIMHASH_SHORT_WINDOW_SECONDS of it (at most
 * SIMHASH_SHORT_MAX_COMPARED of them), and is one story with another only when they share
 * SIMHASH_SHORT_MIN_SHARE of the shingles of the text with MORE of them (so a one-line
 * update never merges into a long story that quotes it, and two one-line updates must say
 * nearly the same thing). */
#define SIMHASH_MIN_SHORT_SHINGLES 2
#define SIMHASH_SHORT_WINDOW_SECONDS 120
#define SIMHASH_SHORT_MIN_SHARE 0.75
#define SIMHASH_SHORT_MAX_COMPARED 64

/* The hash of text's words, lower-cased, in order: texts that differ only in case,
 * punctuation and white space have the same key. 0 for a text of fewer than
 * SIMHASH_SHINGLE_WORDS words: "Video" or "Update" says nothing about which story it is. */
uint64_t simhash_text_key(const char *text);
/* Like simhash_containment, and also the share of the shingles of the text with MORE of
 * them that the other has, in *ret_larger. 0 or -ENOMEM. */
int simhash_shared(const char *a, const char *b, double *ret_smaller, double *ret_larger);
/* The lookup key of band i (0..SIMHASH_BANDS-1): band number << 8 | the band's byte. */
int64_t simhash_band_key(uint64_t fp, int band);

#endif
