/* rate_limit.h — per-address limiter of failed authentications.
 *
 * Used by the admin API (admin/admin_api.c: a wrong or missing API key) and by
 * the join path (signaling/join_limit.c: a refused join token). Pattern:
 *
 *     gint64 retry_after = 0;
 *     if (!cg_rate_limit_allowed(rl, remote, now, &retry_after))
 *         -> refuse with 429 / "too_many_failures", retry after @retry_after s
 *     ... authenticate ...
 *     if (authentication failed)
 *         cg_rate_limit_fail(rl, remote, now);
 *
 * Addresses are grouped first (cg_rate_limit_key): an IPv4 address counts
 * alone, an IPv4-mapped IPv6 address (::ffff:a.b.c.d) as that IPv4 address,
 * any other IPv6 address by its /64 (one customer's allocation: a client
 * changing its interface identifier stays in the same entry).
 *
 * An address may fail @max_failures times in a fixed window of @window_s
 * seconds that starts at its first failure; after that every attempt from it
 * is refused until the window ends. A success does not reset the count (a
 * prober that owns one valid key must not get unlimited guesses at others).
 * The table is bounded (CG_RATE_LIMIT_MAX_ADDRESSES): when full, expired
 * entries are dropped, then the entry whose window started first.
 *
 * Pure: no clock (now is passed in, seconds), no I/O, no globals. One
 * instance per server, main thread only (not locked).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_RATE_LIMIT_MAX_ADDRESSES 16384

typedef struct _CgRateLimit CgRateLimit;

/* The longest key cg_rate_limit_key() writes, with its NUL. */
#define CG_RATE_LIMIT_KEY_MAX 64

/* Writes into @out (CG_RATE_LIMIT_KEY_MAX bytes) the key under which
 * @address (numeric, as lws reports it; NULL = "") is limited: "a.b.c.d" for
 * IPv4 and IPv4-mapped IPv6, "PREFIX::/64" for other IPv6, the text itself
 * (truncated) for anything that is not a numeric address. Returns @out. */
const char *cg_rate_limit_key(const char *address, char *out);

/* (transfer full) @max_failures >= 1, @window_s >= 1 (config auth.max_auth_failures,
 * auth.auth_failure_window_s). */
CgRateLimit *cg_rate_limit_new(guint max_failures, guint window_s);
void cg_rate_limit_free(CgRateLimit *rl);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CgRateLimit, cg_rate_limit_free)

/* TRUE if @address may try to authenticate at @now. FALSE when it is over the
 * limit; then @retry_after_s (nullable) is set to the seconds until it may
 * try again (>= 1). */
gboolean cg_rate_limit_allowed(CgRateLimit *rl, const char *address, gint64 now,
                               gint64 *retry_after_s);
/* Records one failed authentication of @address at @now. */
void cg_rate_limit_fail(CgRateLimit *rl, const char *address, gint64 now);
/* Addresses currently tracked (for tests and metrics). */
guint cg_rate_limit_size(const CgRateLimit *rl);

G_END_DECLS
