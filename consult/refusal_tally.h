/* refusal_tally.h — per-address aggregation of refusals for logs and audit
 * (issue 9, findings 1 and 5).
 *
 * A refusal costs a log line or an audit row; an address that sends refusals
 * in a stream must not turn them into an unbounded stream of lines or rows.
 * Per address key (cg_rate_limit_key: IPv4, IPv4-mapped as IPv4, IPv6 per
 * /64) the first @allowed refusals of a window of @window_s seconds (the
 * window starts at that key's first refusal) are reported one by one; the
 * rest are only counted, and when the window has ended the count is handed
 * once to @report (one line or row per address and window, never more).
 *
 *     if (cg_refusal_tally_note(t, remote, now))
 *         -> log or audit this refusal as before
 *     (else: counted; @report gets "N more" when the window ends)
 *
 * The table is bounded (CG_RATE_LIMIT_MAX_ADDRESSES keys): when full, the
 * oldest window is reported early and dropped. cg_refusal_tally_flush()
 * reports every ended window; with @own_timer the tally runs it from the
 * thread-default GLib main context every @window_s while it holds keys, so
 * a count is never held past two windows. Main thread only (not locked).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _CgRefusalTally CgRefusalTally;

/* @key: the address key; @suppressed (>= 1) refusals not reported one by one
 * in the window that started at @window_start (seconds). */
typedef void (*CgRefusalReport)(const char *key, guint suppressed, gint64 window_start,
                                gpointer user);

/* (transfer full) @allowed >= 0, @window_s >= 1. */
CgRefusalTally *cg_refusal_tally_new(guint allowed, guint window_s, gboolean own_timer,
                                     CgRefusalReport report, gpointer user);
/* Reports what is still counted, then frees. */
void cg_refusal_tally_free(CgRefusalTally *t);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgRefusalTally, cg_refusal_tally_free)

/* Counts one refusal of @address at @now (seconds): TRUE when it is to be
 * reported on its own, FALSE when it is only counted. */
gboolean cg_refusal_tally_note(CgRefusalTally *t, const char *address, gint64 now);
/* Reports and drops every key whose window ended by @now. */
void cg_refusal_tally_flush(CgRefusalTally *t, gint64 now);
/* Keys currently tracked (tests). */
guint cg_refusal_tally_size(const CgRefusalTally *t);

G_END_DECLS
