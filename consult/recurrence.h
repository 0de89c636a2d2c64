/* recurrence.h — the occurrences of a recurring consult.
 *
 * `recurrence: {every_weeks: N, count: M}` on create means M consults, the
 * first at starts_at and each next one N weeks (N * 7 * 24 h, in UTC, so no
 * daylight-saving shift) after the previous. Pure; callable from any thread.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define CG_RECURRENCE_EVERY_WEEKS_MAX 8
#define CG_RECURRENCE_COUNT_MAX 26

/* Fills @starts (room for @count) with each occurrence's start. FALSE (and
 * nothing written) if @every_weeks is not 1..CG_RECURRENCE_EVERY_WEEKS_MAX or
 * @count not 1..CG_RECURRENCE_COUNT_MAX. */
gboolean cg_recurrence_expand(gint64 first_start, guint every_weeks, guint count, gint64 *starts);

G_END_DECLS
